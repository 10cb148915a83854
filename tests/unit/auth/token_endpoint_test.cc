#include "auth/token_endpoint.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/pkce.h"
#include "tests/unit/auth/fake_http.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

using testing::kClientId;
using testing::kClientSecret;
using testing::kTokenUrl;
using testing::OAuthEnv;

constexpr const char* kRedirect = "http://127.0.0.1:43123/";

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

OAuthClient Client() { return OAuthClient{kClientId, kClientSecret}; }

// Runs the browser half against the emulator and returns the code.
std::string CodeFor(OAuthEnv& env, const AuthorizationRequest& req) {
  std::string location = env.BrowserRedirect(req.url);
  REQUIRE(!location.empty());
  Result<util::UrlParts> url = util::SplitUrl(location);
  REQUIRE(url.ok());
  Result<std::map<std::string, std::string>> q = util::ParseQuery(url->query);
  REQUIRE(q.ok());
  REQUIRE(q->at("state") == req.state);
  return q->at("code");
}

AuthorizationRequest NewRequest(const OAuthClient& client = Client()) {
  return BuildAuthorizationRequest({testing::kAuthUrl, kTokenUrl, ""}, client,
                                   kRedirect, *SecureRandom());
}

TEST_CASE("ExchangeCode succeeds against the emulator", "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  std::string code = CodeFor(env, req);
  Result<TokenGrant> g = ExchangeCode(*env.http, kTokenUrl, Client(), code,
                                      kRedirect, req.verifier);
  REQUIRE(g.ok());
  CHECK(!g->access_token.empty());
  CHECK(!g->refresh_token.empty());
  CHECK(g->expires_in_s == 3599);
  CHECK(g->token_type == "Bearer");
  CHECK(g->scope == "https://www.googleapis.com/auth/drive");
  CHECK(env.server->CheckAccessToken(g->access_token) ==
        emulator::OAuthServer::TokenState::kValid);

  HttpRequest sent = env.http->last_request();
  CHECK(sent.method == "POST");
  CHECK(sent.url == kTokenUrl);
  CHECK(sent.log_name == "oauth.token");
  bool form = false;
  for (const auto& [k, v] : sent.headers) {
    form = form ||
           (k == "Content-Type" && v == "application/x-www-form-urlencoded");
  }
  CHECK(form);
  Result<std::map<std::string, std::string>> body = util::ParseQuery(sent.body);
  REQUIRE(body.ok());
  CHECK(body->at("grant_type") == "authorization_code");
  CHECK(body->at("code") == code);
  CHECK(body->at("code_verifier") == req.verifier);
  CHECK(body->at("redirect_uri") == kRedirect);
}

TEST_CASE("ExchangeCode with another verifier is Unauthenticated", "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  std::string code = CodeFor(env, req);
  Pkce other = MakePkce(*SecureRandom());
  Result<TokenGrant> g = ExchangeCode(*env.http, kTokenUrl, Client(), code,
                                      kRedirect, other.verifier);
  CHECK(g.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(g.status().message(), "PKCE"));
  CHECK(g.status().http_status() == 400);
  CHECK(!Contains(g.status().message(), code));
  CHECK(!Contains(g.status().message(), other.verifier));
}

TEST_CASE("ExchangeCode with a used code is Unauthenticated", "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  std::string code = CodeFor(env, req);
  REQUIRE(ExchangeCode(*env.http, kTokenUrl, Client(), code, kRedirect,
                       req.verifier)
              .ok());
  Result<TokenGrant> again = ExchangeCode(*env.http, kTokenUrl, Client(), code,
                                          kRedirect, req.verifier);
  CHECK(again.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(again.status().message(), "already used"));
}

TEST_CASE("ExchangeCode with an expired code is Unauthenticated", "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  std::string code = CodeFor(env, req);
  env.clock.Advance(std::chrono::minutes(11));  // codes live 10 minutes
  Result<TokenGrant> g = ExchangeCode(*env.http, kTokenUrl, Client(), code,
                                      kRedirect, req.verifier);
  CHECK(g.status().code() == StatusCode::kUnauthenticated);
}

TEST_CASE("ExchangeCode detects scopes the user did not grant", "[unit]") {
  OAuthEnv env;
  // The user unticked Drive on the consent screen: the code only carries
  // drive.file. Simulate by authorizing a narrower scope.
  OAuthClient narrow = Client();
  narrow.scope = "https://www.googleapis.com/auth/drive.file";
  AuthorizationRequest req = NewRequest(narrow);
  std::string code = CodeFor(env, req);
  Result<TokenGrant> g = ExchangeCode(*env.http, kTokenUrl, Client(), code,
                                      kRedirect, req.verifier);
  CHECK(g.status().code() == StatusCode::kPermissionDenied);
  CHECK(Contains(g.status().message(),
                 "you did not grant access to "
                 "https://www.googleapis.com/auth/drive"));
  CHECK(Contains(g.status().message(), "tick the checkbox"));
}

TEST_CASE("A wrong client secret is reported as a rejected client", "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  std::string code = CodeFor(env, req);
  OAuthClient wrong{kClientId, "wrong-secret"};
  Result<TokenGrant> g =
      ExchangeCode(*env.http, kTokenUrl, wrong, code, kRedirect, req.verifier);
  CHECK(g.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(g.status().message(),
                 "the OAuth client id/secret was rejected"));
  CHECK(g.status().http_status() == 401);
  CHECK(!Contains(g.status().message(), "wrong-secret"));
}

TEST_CASE("RefreshAccessToken returns a new access token only", "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  Result<TokenGrant> first =
      ExchangeCode(*env.http, kTokenUrl, Client(), CodeFor(env, req), kRedirect,
                   req.verifier);
  REQUIRE(first.ok());
  Result<TokenGrant> r =
      RefreshAccessToken(*env.http, kTokenUrl, Client(), first->refresh_token);
  REQUIRE(r.ok());
  CHECK(r->access_token != first->access_token);
  CHECK(r->refresh_token.empty());
  Result<std::map<std::string, std::string>> body =
      util::ParseQuery(env.http->last_request().body);
  REQUIRE(body.ok());
  CHECK(body->at("grant_type") == "refresh_token");
  CHECK(body->at("client_secret") == kClientSecret);
}

TEST_CASE("RefreshAccessToken with a revoked token says run gdmount auth",
          "[unit]") {
  OAuthEnv env;
  AuthorizationRequest req = NewRequest();
  Result<TokenGrant> first =
      ExchangeCode(*env.http, kTokenUrl, Client(), CodeFor(env, req), kRedirect,
                   req.verifier);
  REQUIRE(first.ok());
  REQUIRE(env.server->Revoke(first->refresh_token).status == 200);
  Result<TokenGrant> r =
      RefreshAccessToken(*env.http, kTokenUrl, Client(), first->refresh_token);
  CHECK(r.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(r.status().message(), "revoked or expired"));
  CHECK(Contains(r.status().message(), "gdmount auth"));
  CHECK(!Contains(r.status().message(), first->refresh_token));
}

// RefreshAccessToken with a made-up refresh token; the canned responses
// decide the outcome.
Result<TokenGrant> Refresh(OAuthEnv& env) {
  return RefreshAccessToken(*env.http, kTokenUrl, Client(), "1//0token");
}

TEST_CASE("Token endpoint: transient failures are Unavailable", "[unit]") {
  OAuthEnv env;
  auto refresh = [&] { return Refresh(env); };
  SECTION("5xx is Unavailable") {
    env.http->QueueResponse(503, R"({"error":"backend_error"})");
    Result<TokenGrant> r = refresh();
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().http_status() == 503);
  }
  SECTION("429 is Unavailable with the server's retry-after") {
    HttpResponse resp;
    resp.status = 429;
    resp.headers = {{"retry-after", "7"}};
    env.http->QueueResponse(Result<HttpResponse>(resp));
    Result<TokenGrant> r = refresh();
    CHECK(r.status().code() == StatusCode::kUnavailable);
    REQUIRE(r.status().retry_after().has_value());
    CHECK(*r.status().retry_after() == std::chrono::seconds(7));
  }
  SECTION("transport failure is Unavailable") {
    env.http->QueueResponse(
        Result<HttpResponse>(Status(StatusCode::kUnavailable, "reset")));
    CHECK(refresh().status().code() == StatusCode::kUnavailable);
  }
}

TEST_CASE("Token endpoint: rejections and malformed answers", "[unit]") {
  OAuthEnv env;
  auto refresh = [&] { return Refresh(env); };
  SECTION("other 4xx is InvalidArgument with error and description") {
    env.http->QueueResponse(
        400, R"({"error":"invalid_scope","error_description":"Bad scope."})");
    Result<TokenGrant> r = refresh();
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(Contains(r.status().message(), "invalid_scope"));
    CHECK(Contains(r.status().message(), "Bad scope."));
  }
  SECTION("non-JSON 400 is InvalidArgument") {
    env.http->QueueResponse(400, "<html>oops</html>");
    CHECK(refresh().status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("malformed success bodies are Unavailable") {
    for (const char* body :
         {"not json", "[]", R"({"expires_in":3599})", R"({"access_token":""})",
          R"({"access_token":7})",
          R"({"access_token":"ya29.x","expires_in":"soon"})",
          R"({"access_token":"ya29.x","expires_in":-5})",
          R"({"access_token":"ya29.x","token_type":"mac"})"}) {
      INFO(body);
      env.http->QueueResponse(200, body);
      Result<TokenGrant> r = refresh();
      CHECK(r.status().code() == StatusCode::kUnavailable);
      CHECK(Contains(r.status().message(), "malformed token response"));
    }
  }
  SECTION("a response without expires_in gets a default lifetime") {
    env.http->QueueResponse(200, R"({"access_token":"ya29.x"})");
    Result<TokenGrant> r = refresh();
    REQUIRE(r.ok());
    CHECK(r->expires_in_s == 3600);
  }
  SECTION("injected invalid_grant on refresh") {
    env.server->FailNextTokenRequestsForTest(1, "invalid_grant",
                                             "Token has been expired or "
                                             "revoked.");
    Result<TokenGrant> r = refresh();
    CHECK(r.status().code() == StatusCode::kUnauthenticated);
    CHECK(Contains(r.status().message(), "Token has been expired"));
  }
}

}  // namespace
}  // namespace gdmount::auth
