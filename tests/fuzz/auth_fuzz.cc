// Fuzz target: what sign-in reads from the user and from the token
// endpoint. The first byte picks: the pasted code or redirected URL, a
// redirect query, a token endpoint answer (any status, any body) to a code
// exchange and to a refresh, or a service-account key file. A code that is
// accepted never carries the characters that would break the form body or
// a log line, and a token grant that is accepted has a token.
#include <string>

#include "auth/oauth_client.h"
#include "auth/service_account.h"
#include "auth/token_endpoint.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/fake_transport.h"
#include "util/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gdmount;
  using namespace gdmount::fuzz;
  QuietLogs();
  FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  const std::string state = "Zq3_state-Of-Thirty-Two-Chars.~x";
  switch (which % 5) {
    case 0: {
      std::string pasted(in.Rest());
      if (auto code = auth::ExtractAuthorizationCode(pasted, state);
          code.ok()) {
        FUZZ_CHECK(!code->empty(), pasted);
        for (char c : *code) FUZZ_CHECK(c > ' ' && c != 0x7f, pasted);
      }
      break;
    }
    case 1: {
      std::string query(in.Rest());
      if (auto q = util::ParseQuery(query); q.ok()) {
        if (auto code = auth::CodeFromRedirectQuery(*q, state); code.ok())
          FUZZ_CHECK(!code->empty(), query);
      }
      break;
    }
    case 2:
    case 3: {
      int status = 100 + static_cast<int>(in.Below(500));
      std::string content_type =
          in.Byte() & 1 ? "application/json" : "text/html";
      std::string body(in.Rest());
      testing::FakeTransport http([&](const HttpRequest&) {
        return testing::Answer(status, body, {{"content-type", content_type}});
      });
      auth::OAuthClient client;
      client.client_id = "id";
      client.client_secret = "secret";
      Result<auth::TokenGrant> grant =
          which % 5 == 2
              ? auth::ExchangeCode(http, "http://127.0.0.1:1/token", client,
                                   "4/code", "http://127.0.0.1:2/", "verifier")
              : auth::RefreshAccessToken(http, "http://127.0.0.1:1/token",
                                         client, "1//r");
      if (grant.ok()) {
        FUZZ_CHECK(status / 100 == 2, body);
        FUZZ_CHECK(!grant->access_token.empty(), body);
        FUZZ_CHECK(grant->expires_in_s >= 0, body);
      }
      break;
    }
    default:
      if (auto key = auth::ParseServiceAccountKey(in.Rest()); key.ok()) {
        FUZZ_CHECK(!key->client_email.empty(), key->client_email);
        FUZZ_CHECK(!key->private_key_pem.empty(), key->client_email);
        FUZZ_CHECK(!key->token_uri.empty(), key->client_email);
      }
  }
  return 0;
}
