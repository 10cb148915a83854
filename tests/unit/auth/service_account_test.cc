#include "auth/service_account.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/service_account_token_source.h"
#include "auth/token_endpoint.h"
#include "tests/emulator/jwt.h"
#include "tests/unit/auth/fake_http.h"

namespace gdmount::auth {
namespace {

using testing::kTokenUrl;
using testing::OAuthEnv;

constexpr const char* kEmail = "robot@proj-1.iam.gserviceaccount.com";
constexpr const char* kScope = "https://www.googleapis.com/auth/drive";

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

int64_t NowS(OAuthEnv& env) { return env.clock.NowMs() / 1000; }

// A service account registered with the emulator, and its parsed key.
ServiceAccountKey CreateKey(OAuthEnv& env) {
  Result<nlohmann::json> file =
      env.server->CreateServiceAccount(kEmail, kTokenUrl);
  REQUIRE(file.ok());
  Result<ServiceAccountKey> key = ParseServiceAccountKey(file->dump());
  REQUIRE(key.ok());
  return *key;
}

TEST_CASE("ParseServiceAccountKey reads Google's key file", "[unit]") {
  OAuthEnv env;
  Result<nlohmann::json> file =
      env.server->CreateServiceAccount(kEmail, kTokenUrl);
  REQUIRE(file.ok());
  Result<ServiceAccountKey> key = ParseServiceAccountKey(file->dump());
  REQUIRE(key.ok());
  CHECK(key->client_email == kEmail);
  CHECK(key->private_key_id == (*file)["private_key_id"].get<std::string>());
  CHECK(key->token_uri == kTokenUrl);
  CHECK(Contains(key->private_key_pem, "BEGIN PRIVATE KEY"));

  nlohmann::json no_uri = *file;
  no_uri.erase("token_uri");
  Result<ServiceAccountKey> defaulted = ParseServiceAccountKey(no_uri.dump());
  REQUIRE(defaulted.ok());
  CHECK(defaulted->token_uri == kGoogleTokenUrl);
}

TEST_CASE("ParseServiceAccountKey explains what is wrong", "[unit]") {
  OAuthEnv env;
  nlohmann::json good = *env.server->CreateServiceAccount(kEmail, kTokenUrl);
  auto error_of = [](const std::string& text) {
    Result<ServiceAccountKey> k = ParseServiceAccountKey(text);
    REQUIRE(!k.ok());
    CHECK(k.status().code() == StatusCode::kInvalidArgument);
    return k.status().message();
  };
  CHECK(Contains(error_of("not json"), "not a JSON object"));
  CHECK(Contains(error_of("[1,2]"), "not a JSON object"));
  nlohmann::json user = {{"type", "authorized_user"},
                         {"client_id", "x"},
                         {"refresh_token", "1//0abc"}};
  CHECK(Contains(error_of(user.dump()), "\"authorized_user\""));
  CHECK(Contains(error_of(user.dump()), "service_account"));
  nlohmann::json j = good;
  j.erase("client_email");
  CHECK(Contains(error_of(j.dump()), "client_email"));
  j = good;
  j.erase("private_key");
  CHECK(Contains(error_of(j.dump()), "private_key"));
  j = good;
  j["private_key"] =
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE "
      "KEY-----\n";
  std::string bad_pem = error_of(j.dump());
  CHECK(Contains(bad_pem, "not an unencrypted PEM RSA private key"));
  CHECK(!Contains(bad_pem, "AAAA"));
}

TEST_CASE("MakeJwtAssertion has the header and claims Google expects",
          "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  Result<std::string> jwt = MakeJwtAssertion(key, kScope, kTokenUrl,
                                             "user@example.com", 1'700'000'000);
  REQUIRE(jwt.ok());
  Result<emulator::Jwt> parsed = emulator::ParseJwt(*jwt);
  REQUIRE(parsed.ok());
  CHECK(parsed->header["alg"] == "RS256");
  CHECK(parsed->header["typ"] == "JWT");
  CHECK(parsed->header["kid"] == key.private_key_id);
  CHECK(parsed->claims["iss"] == kEmail);
  CHECK(parsed->claims["scope"] == kScope);
  CHECK(parsed->claims["aud"] == kTokenUrl);
  CHECK(parsed->claims["iat"] == 1'700'000'000);
  CHECK(parsed->claims["exp"] == 1'700'000'000 + 3600);
  CHECK(parsed->claims["sub"] == "user@example.com");
  // The signature verifies with the account's public key.
  Result<emulator::RsaKey> rsa =
      emulator::RsaKey::FromPrivatePem(key.private_key_pem);
  REQUIRE(rsa.ok());
  CHECK(rsa->VerifyRs256(parsed->signing_input, parsed->signature));

  Result<std::string> no_sub =
      MakeJwtAssertion(key, kScope, kTokenUrl, "", 1'700'000'000);
  REQUIRE(no_sub.ok());
  CHECK(!emulator::ParseJwt(*no_sub)->claims.contains("sub"));
}

TEST_CASE("The emulator accepts our assertion", "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  Result<std::string> jwt =
      MakeJwtAssertion(key, kScope, kTokenUrl, "", NowS(env));
  REQUIRE(jwt.ok());
  Result<TokenGrant> g = ExchangeJwtAssertion(*env.http, kTokenUrl, *jwt);
  REQUIRE(g.ok());
  CHECK(g->refresh_token.empty());
  emulator::OAuthServer::AccessTokenInfo info =
      env.server->LookupAccessToken(g->access_token);
  CHECK(info.state == emulator::OAuthServer::TokenState::kValid);
  CHECK(info.subject == kEmail);
  CHECK(info.scope == kScope);
}

TEST_CASE("An assertion signed with another key is rejected", "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  Result<emulator::RsaKey> other = emulator::RsaKey::Generate();
  REQUIRE(other.ok());
  ServiceAccountKey forged = key;
  forged.private_key_pem = *other->PrivatePem();
  Result<std::string> jwt =
      MakeJwtAssertion(forged, kScope, kTokenUrl, "", NowS(env));
  REQUIRE(jwt.ok());
  Result<TokenGrant> g = ExchangeJwtAssertion(*env.http, kTokenUrl, *jwt);
  CHECK(g.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(g.status().message(), "Invalid JWT Signature"));
  CHECK(!Contains(g.status().message(), *jwt));
}

TEST_CASE("An assertion for another audience or time is rejected", "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  Result<std::string> wrong_aud = MakeJwtAssertion(
      key, kScope, "https://elsewhere.test/token", "", NowS(env));
  CHECK(
      ExchangeJwtAssertion(*env.http, kTokenUrl, *wrong_aud).status().code() ==
      StatusCode::kUnauthenticated);
  Result<std::string> stale =
      MakeJwtAssertion(key, kScope, kTokenUrl, "", NowS(env) - 7200);
  Result<TokenGrant> g = ExchangeJwtAssertion(*env.http, kTokenUrl, *stale);
  CHECK(g.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(g.status().message(), "clock"));
}

TEST_CASE("ServiceAccountTokenSource caches and re-mints before expiry",
          "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  key.token_uri = "https://not-used.test/token";  // overridden below
  ServiceAccountTokenSource source(*env.http, env.clock, key, kScope, "",
                                   kTokenUrl);
  CHECK(source.token_url() == kTokenUrl);
  Result<std::string> h1 = source.AuthorizationHeader();
  REQUIRE(h1.ok());
  CHECK(h1->rfind("Bearer ya29.", 0) == 0);
  CHECK(*source.AuthorizationHeader() == *h1);
  CHECK(env.http->token_requests() == 1);
  CHECK(env.http->last_request().url == kTokenUrl);

  env.clock.Advance(std::chrono::seconds(3599 - 30));  // inside the margin
  Result<std::string> h2 = source.AuthorizationHeader();
  REQUIRE(h2.ok());
  CHECK(*h2 != *h1);
  CHECK(env.http->token_requests() == 2);
  std::string token = h2->substr(std::string("Bearer ").size());
  CHECK(env.server->CheckAccessToken(token) ==
        emulator::OAuthServer::TokenState::kValid);

  source.Invalidate(*h2);
  Result<std::string> h3 = source.AuthorizationHeader();
  REQUIRE(h3.ok());
  CHECK(*h3 != *h2);
  CHECK(env.http->token_requests() == 3);
}

TEST_CASE("ServiceAccountTokenSource uses key.token_uri by default", "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  ServiceAccountTokenSource source(*env.http, env.clock, key, kScope, "", "");
  CHECK(source.token_url() == kTokenUrl);
  CHECK(source.AuthorizationHeader().ok());
}

TEST_CASE("ServiceAccountTokenSource with a forged key is Unauthenticated",
          "[unit]") {
  OAuthEnv env;
  ServiceAccountKey key = CreateKey(env);
  key.private_key_pem = *emulator::RsaKey::Generate()->PrivatePem();
  ServiceAccountTokenSource source(*env.http, env.clock, key, kScope, "",
                                   kTokenUrl);
  CHECK(source.AuthorizationHeader().status().code() ==
        StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace gdmount::auth
