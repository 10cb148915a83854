// Redaction is the safety net under "never log secrets": it must catch a
// secret in any of the shapes it travels in (HTTP header, form body, query
// string, JSON) without knowing which one a message contains.
#include <locale>
#include <regex>
#include <string>

#include "gdmount/log.h"

namespace gdmount::log {
namespace {

struct Rule {
  std::regex pattern;
  std::string replacement;
};

// std::ctype<char>::narrow fills a per-character cache the first time it
// sees each character, unlocked (GCC PR 77704): std::regex calls it, so two
// threads redacting at once race on that cache (ThreadSanitizer reports it
// from the soak). Filling it once, before any thread starts, leaves only
// reads.
void FillNarrowCache() {
  const auto& ctype = std::use_facet<std::ctype<char>>(std::locale());
  for (int c = 0; c < 256; ++c) (void)ctype.narrow(static_cast<char>(c), '\0');
}

const std::vector<Rule>& Rules() {
  static const auto* rules = new std::vector<Rule>{
      // Authorization: Bearer xxx / Basic xxx
      {std::regex(R"((Bearer|Basic)\s+[^\s"',;&]+)", std::regex::icase),
       "$1 [REDACTED]"},
      // name=value in form bodies and query strings.
      {std::regex(
           R"(\b(access_token|refresh_token|id_token|client_secret|code_verifier|assertion|code|token|upload_id)=[^&\s"']+)"),
       "$1=[REDACTED]"},
      // "name": "value" in JSON.
      {std::regex(
           R"xx("(access_token|refresh_token|id_token|client_secret|code_verifier|private_key|assertion|code)"\s*:\s*"(\\.|[^"\\])*")xx"),
       "\"$1\":\"[REDACTED]\""},
      // Google token shapes wherever they appear: ya29. access tokens,
      // 1// refresh tokens, 4/0 authorization codes, JWTs.
      {std::regex(R"(ya29\.[A-Za-z0-9._\-]+)"), "[REDACTED]"},
      {std::regex(R"(\b1//[A-Za-z0-9._\-]+)"), "[REDACTED]"},
      {std::regex(R"(\b4/0[A-Za-z0-9._\-]+)"), "[REDACTED]"},
      {std::regex(R"(eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)"),
       "[REDACTED]"},
      {std::regex(
           R"(-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$))"),
       "[REDACTED]"},
  };
  return *rules;
}

// At static initialisation, on the main thread before any other: the rules
// compiled, the cache filled.
[[maybe_unused]] const bool kReady = (FillNarrowCache(), Rules(), true);

}  // namespace

std::string Redact(std::string_view text) {
  std::string out(text);
  // Cheap pre-check: most log lines contain none of the trigger substrings.
  static const char* kTriggers[] = {
      "earer", "asic", "token", "secret", "code",     "ssert",    "ya29",
      "1//",   "4/0",  "eyJ",   "KEY",    "password", "upload_id"};
  bool suspicious = false;
  for (const char* t : kTriggers) {
    if (out.find(t) != std::string::npos) {
      suspicious = true;
      break;
    }
  }
  if (!suspicious) return out;
  for (const Rule& rule : Rules())
    out = std::regex_replace(out, rule.pattern, rule.replacement);
  return out;
}

}  // namespace gdmount::log
