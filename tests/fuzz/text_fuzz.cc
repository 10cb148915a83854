// Fuzz target: the small text decoders (util/url.h, util/encoding.h,
// util/mountinfo.h) and the log redaction (log.h), which must scrub any
// token it is shown however it is wrapped.
#include <string>

#include "gdmount/http_transport.h"
#include "gdmount/log.h"
#include "tests/fuzz/fuzz_input.h"
#include "util/encoding.h"
#include "util/mountinfo.h"
#include "util/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gdmount;
  using namespace gdmount::fuzz;
  FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  std::string text(in.Rest());
  switch (which % 7) {
    case 0:
      if (auto d = util::PercentDecode(text, which & 8); d.ok()) {
        // What decodes re-encodes to something that decodes back to it.
        auto again = util::PercentDecode(util::PercentEncode(*d), false);
        FUZZ_CHECK(again.ok() && *again == *d, text);
      }
      break;
    case 1:
      (void)util::ParseQuery(text);
      break;
    case 2:
      if (auto parts = util::SplitUrl(text); parts.ok()) {
        FUZZ_CHECK(!parts->scheme.empty() && !parts->host.empty(), text);
        FUZZ_CHECK(parts->port >= 0 && parts->port <= 65535, text);
      }
      (void)CheckUrlAllowed(text);
      break;
    case 3:
      (void)util::Base64UrlDecode(text);
      break;
    case 4:
      FUZZ_CHECK(util::DecodeMountPath(text).size() <= text.size(), text);
      break;
    case 5: {
      // A refresh token inside arbitrary text is never in the redacted text.
      const std::string secret =
          "1//0gSecretRefreshTokenValue_abcdefghijklmnop";
      size_t at = text.empty() ? 0 : (which * 7u) % (text.size() + 1);
      std::string line = text.substr(0, at) + " refresh_token=" + secret + " " +
                         text.substr(at);
      FUZZ_CHECK(log::Redact(line).find(secret) == std::string::npos, line);
      break;
    }
    default: {
      const std::string secret =
          "ya29.a0SecretAccessTokenValue_ABCDEFGHIJKLMNOP";
      std::string line = text + " Authorization: Bearer " + secret;
      FUZZ_CHECK(log::Redact(line).find(secret) == std::string::npos, line);
    }
  }
  return 0;
}
