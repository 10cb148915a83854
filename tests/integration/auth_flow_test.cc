// The auth library over real HTTP against the emulator's OAuth server:
// PKCE enforcement, and tokens that expire or are revoked in the middle of
// a run of Drive calls.
#include <catch2/catch.hpp>

#include "auth/oauth_client.h"
#include "auth/token_endpoint.h"
#include "auth/user_token_source.h"
#include "drive/drive_client_impl.h"
#include "http/curl_transport.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/fake_clock.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

using testing::EmulatorFixture;

struct Grant {
  AuthorizationRequest request;
  std::string code;
};

// Runs the browser half of the flow: authorization page -> code.
Grant Authorize(EmulatorFixture& fx, const OAuthClient& client) {
  OAuthEndpoints e{fx.url() + "/o/oauth2/v2/auth", fx.url() + "/token",
                   fx.url() + "/revoke"};
  Grant g;
  g.request = BuildAuthorizationRequest(e, client, "http://127.0.0.1:4444/",
                                        *SecureRandom());
  auto r = testing::HttpCall("GET", g.request.url, "", {});
  REQUIRE(r.status == 302);
  std::string loc = r.header("location");
  auto q = util::ParseQuery(loc.substr(loc.find('?') + 1));
  REQUIRE(q.ok());
  auto code = CodeFromRedirectQuery(*q, g.request.state);
  REQUIRE(code.ok());
  g.code = *code;
  return g;
}

const OAuthClient kClient{"test-client.apps.googleusercontent.com", "s3cret",
                          kDriveScope};

TEST_CASE("The token endpoint enforces PKCE and single-use codes",
          "[integration][auth]") {
  EmulatorFixture fx;
  auto http = http::CurlTransport::Create({}).value();
  Grant g = Authorize(fx, kClient);
  auto wrong = ExchangeCode(*http, fx.url() + "/token", kClient, g.code,
                            g.request.redirect_uri,
                            std::string(64, 'x'));  // not this verifier
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == StatusCode::kUnauthenticated);

  Grant g2 = Authorize(fx, kClient);
  auto right = ExchangeCode(*http, fx.url() + "/token", kClient, g2.code,
                            g2.request.redirect_uri, g2.request.verifier);
  REQUIRE(right.ok());
  CHECK_FALSE(right->refresh_token.empty());
  auto again = ExchangeCode(*http, fx.url() + "/token", kClient, g2.code,
                            g2.request.redirect_uri, g2.request.verifier);
  CHECK(again.status().code() == StatusCode::kUnauthenticated);
}

struct SignedIn {
  SignedIn(EmulatorFixture& fx, testing::FakeClock* clock)
      : http(http::CurlTransport::Create({}).value()) {
    Grant g = Authorize(fx, kClient);
    auto grant = ExchangeCode(*http, fx.url() + "/token", kClient, g.code,
                              g.request.redirect_uri, g.request.verifier);
    REQUIRE(grant.ok());
    StoredCredentials c;
    c.type = "authorized_user";
    c.client_id = kClient.client_id;
    c.client_secret = kClient.client_secret;
    c.refresh_token = grant->refresh_token;
    c.access_token = grant->access_token;
    c.scope = grant->scope;
    c.token_url = fx.url() + "/token";
    c.expiry_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      clock->SystemNow().time_since_epoch())
                      .count() +
                  grant->expires_in_s * 1000;
    tokens = std::make_unique<UserTokenSource>(*http, *clock, c, nullptr);
    drive::DriveClientOptions o;
    o.endpoints.api_root = fx.url();
    o.endpoints.upload_root = fx.url();
    o.pacer.rate_per_s = 0;
    client = std::make_unique<drive::DriveClientImpl>(
        o, http.get(), tokens.get(), clock, random.get());
  }
  std::unique_ptr<http::CurlTransport> http;
  std::unique_ptr<RandomSource> random = MakeSeededRandom(3);
  std::unique_ptr<UserTokenSource> tokens;
  std::unique_ptr<drive::DriveClientImpl> client;
};

int64_t TokenCalls(EmulatorFixture& fx) {
  nlohmann::json stats = fx.Stats();
  return stats["methods"].value("oauth.token", int64_t{0});
}

TEST_CASE(
    "A token that expires mid-run is refreshed without the caller "
    "noticing",
    "[integration][auth]") {
  EmulatorFixture fx;
  testing::FakeClock clock;  // gdmount's clock, separate from the emulator's
  SignedIn s(fx, &clock);
  int64_t before = TokenCalls(fx);

  SECTION("ahead of time: the client's clock says it is about to expire") {
    REQUIRE(s.client->GetFile("root").ok());
    clock.Advance(std::chrono::seconds(3599 - 30));  // inside the margin
    fx.AdvanceMs((3599 - 30) * 1000);
    for (int i = 0; i < 20; ++i) REQUIRE(s.client->GetFile("root").ok());
    CHECK(TokenCalls(fx) - before == 1);            // one refresh for 20 calls
    CHECK(s.client->stats().token_refreshes == 0);  // no 401 was needed
  }
  SECTION("behind its back: the server expired it, the client learns by 401") {
    REQUIRE(s.client->GetFile("root").ok());
    fx.AdvanceMs(3600 * 1000);  // only the emulator's clock moves
    for (int i = 0; i < 20; ++i) REQUIRE(s.client->GetFile("root").ok());
    CHECK(TokenCalls(fx) - before == 1);
    CHECK(s.client->stats().token_refreshes == 1);
  }
}

TEST_CASE("A revoked grant fails calls with the fix in the message",
          "[integration][auth]") {
  EmulatorFixture fx;
  testing::FakeClock clock;
  SignedIn s(fx, &clock);
  REQUIRE(s.client->GetFile("root").ok());
  auto header = s.tokens->AuthorizationHeader();
  REQUIRE(header.ok());
  std::string token = header->substr(std::string("Bearer ").size());
  auto revoked = fx.Raw("POST", "/revoke?token=" + testing::Q(token));
  REQUIRE(revoked.status == 200);
  auto f = s.client->GetFile("root");
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == StatusCode::kUnauthenticated);
  CHECK(f.status().message().find("gdmount auth") != std::string::npos);
}

}  // namespace
}  // namespace gdmount::auth
