#include "auth/oauth_client.h"

#include <utility>
#include <vector>

#include "auth/pkce.h"
#include "util/strings.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

// OAuth `state` length: 32 characters of a 66-letter alphabet (~193 bits)
// cannot be guessed by a page racing the real redirect.
constexpr size_t kStateLength = 32;
// Google's codes are ~70-80 characters; anything far outside that range is
// a mis-paste (a word, a whole page of text).
constexpr size_t kMinCodeLength = 8;
constexpr size_t kMaxCodeLength = 2048;
// Error values from the browser are echoed to the user; keep them short.
constexpr size_t kMaxEchoedError = 100;

constexpr const char* kNotACode =
    "that does not look like an authorization code or the redirected URL: "
    "paste the code, or the whole address from the browser's address bar "
    "after approving access";

bool IsTrimmed(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' ||
         c == '\'' || c == '<' || c == '>' || c == '`';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsTrimmed(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsTrimmed(s.back())) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Printable ASCII without spaces or URL/quoting punctuation, sane length.
bool LooksLikeCode(std::string_view s) {
  if (s.size() < kMinCodeLength || s.size() > kMaxCodeLength) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    for (char bad : std::string_view("\"'<>`\\{}|^?&=#%")) {
      if (c == bad) return false;
    }
  }
  return true;
}

// A URL (with or without scheme) rather than a bare code.
bool LooksLikeUrl(std::string_view s) {
  return s.find("://") != std::string_view::npos ||
         StartsWith(s, "127.0.0.1") || StartsWith(s, "localhost") ||
         StartsWith(s, "[::1]");
}

std::string Printable(std::string_view s) {
  return util::PrintableAscii(s, kMaxEchoedError);
}

Result<std::string> CodeFromQueryText(std::string_view query,
                                      std::string_view expected_state) {
  size_t hash = query.find('#');
  if (hash != std::string_view::npos) query = query.substr(0, hash);
  Result<std::map<std::string, std::string>> parsed = util::ParseQuery(query);
  if (!parsed.ok()) {
    return InvalidArgumentError(
        "the pasted URL is garbled (bad %-escape): copy it again from the "
        "browser's address bar");
  }
  return CodeFromRedirectQuery(*parsed, expected_state);
}

Result<std::string> BareCode(std::string_view text) {
  std::string code(text);
  // Copied out of the address bar, a code still has its '/' as "%2F".
  if (code.find('%') != std::string::npos) {
    Result<std::string> decoded = util::PercentDecode(code, false);
    if (!decoded.ok()) return InvalidArgumentError(kNotACode);
    code = std::move(*decoded);
  }
  if (!LooksLikeCode(code)) return InvalidArgumentError(kNotACode);
  return code;
}

}  // namespace

OAuthEndpoints GoogleOAuthEndpoints() {
  return {"https://accounts.google.com/o/oauth2/v2/auth",
          "https://oauth2.googleapis.com/token",
          "https://oauth2.googleapis.com/revoke"};
}

AuthorizationRequest BuildAuthorizationRequest(const OAuthEndpoints& endpoints,
                                               const OAuthClient& client,
                                               const std::string& redirect_uri,
                                               RandomSource& random) {
  AuthorizationRequest req;
  Pkce pkce = MakePkce(random);
  req.state = RandomUnreservedString(random, kStateLength);
  req.verifier = std::move(pkce.verifier);
  req.redirect_uri = redirect_uri;
  std::string query = util::EncodeQuery({
      {"client_id", client.client_id},
      {"redirect_uri", redirect_uri},
      {"response_type", "code"},
      {"scope", client.scope},
      {"access_type", "offline"},
      {"prompt", "consent"},
      {"code_challenge", pkce.challenge},
      {"code_challenge_method", "S256"},
      {"state", req.state},
  });
  const char sep =
      endpoints.auth_url.find('?') == std::string::npos ? '?' : '&';
  req.url = endpoints.auth_url + sep + query;
  return req;
}

Result<std::string> CodeFromRedirectQuery(
    const std::map<std::string, std::string>& query,
    std::string_view expected_state) {
  auto state = query.find("state");
  if (state == query.end()) {
    return InvalidArgumentError(
        "the redirected URL has no state parameter: copy the whole address "
        "from "
        "the browser's address bar");
  }
  if (state->second != expected_state) {
    return InvalidArgumentError(
        "state mismatch: this URL belongs to another sign-in attempt; start "
        "again");
  }
  auto error = query.find("error");
  if (error != query.end()) {
    if (error->second == "access_denied") {
      return Status(StatusCode::kPermissionDenied,
                    "access was denied in the browser: run `gdmount auth` "
                    "again and choose Allow");
    }
    return InvalidArgumentError(
        "the browser reported error=" + Printable(error->second) +
        ": run `gdmount auth` again");
  }
  auto code = query.find("code");
  if (code == query.end() || code->second.empty()) {
    return InvalidArgumentError(
        "the redirected URL has no code parameter: after you approve access "
        "the "
        "browser goes to http://127.0.0.1:.../?state=...&code=...; paste that "
        "whole address");
  }
  if (!LooksLikeCode(code->second)) return InvalidArgumentError(kNotACode);
  return code->second;
}

Result<std::string> ExtractAuthorizationCode(std::string_view pasted,
                                             std::string_view expected_state) {
  std::string_view text = Trim(pasted);
  if (text.empty()) {
    return InvalidArgumentError(
        "nothing was pasted: paste the authorization code or the whole "
        "redirected URL");
  }
  size_t qmark = text.find('?');
  if (qmark != std::string_view::npos) {
    return CodeFromQueryText(text.substr(qmark + 1), expected_state);
  }
  if (text.find('=') != std::string_view::npos) {  // "code=..&state=.."
    return CodeFromQueryText(text, expected_state);
  }
  if (LooksLikeUrl(text)) {
    return InvalidArgumentError(
        "the pasted URL has no code parameter: after you approve access the "
        "browser goes to http://127.0.0.1:.../?state=...&code=...; paste that "
        "whole address");
  }
  return BareCode(text);
}

}  // namespace gdmount::auth
