#include "auth/pkce.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "auth/oauth_client.h"
#include "tests/emulator/jwt.h"
#include "util/encoding.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

bool IsUnreserved(const std::string& s) {
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
              c == '~';
    if (!ok) return false;
  }
  return true;
}

TEST_CASE("PKCE S256 matches RFC 7636 appendix B", "[unit]") {
  CHECK(PkceS256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("MakePkce: challenge is S256 of a 64-char unreserved verifier",
          "[unit]") {
  auto random = MakeSeededRandom(42);
  Pkce p = MakePkce(*random);
  CHECK(p.verifier.size() == kPkceVerifierLength);
  CHECK(IsUnreserved(p.verifier));
  CHECK(p.challenge == util::Base64UrlEncode(util::Sha256(p.verifier)));
  CHECK(p.challenge.size() == 43);
  // The emulator (an independent implementation) agrees.
  CHECK(p.challenge == emulator::PkceS256Challenge(p.verifier));
  CHECK(emulator::IsValidPkceVerifier(p.verifier));
}

TEST_CASE("MakePkce gives a different verifier each time", "[unit]") {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) seen.insert(MakePkce(*SecureRandom()).verifier);
  CHECK(seen.size() == 20);
}

TEST_CASE("BuildAuthorizationRequest has every required parameter", "[unit]") {
  auto random = MakeSeededRandom(7);
  OAuthEndpoints endpoints = GoogleOAuthEndpoints();
  OAuthClient client{"id-1.apps.googleusercontent.com", "secret-1"};
  AuthorizationRequest req = BuildAuthorizationRequest(
      endpoints, client, "http://127.0.0.1:4242/", *random);

  REQUIRE(req.url.rfind(endpoints.auth_url + "?", 0) == 0);
  Result<util::UrlParts> url = util::SplitUrl(req.url);
  REQUIRE(url.ok());
  Result<std::map<std::string, std::string>> q = util::ParseQuery(url->query);
  REQUIRE(q.ok());
  CHECK(q->at("client_id") == "id-1.apps.googleusercontent.com");
  CHECK(q->at("redirect_uri") == "http://127.0.0.1:4242/");
  CHECK(q->at("response_type") == "code");
  CHECK(q->at("scope") == "https://www.googleapis.com/auth/drive");
  CHECK(q->at("access_type") == "offline");
  CHECK(q->at("prompt") == "consent");
  CHECK(q->at("code_challenge_method") == "S256");
  CHECK(q->at("code_challenge") == PkceS256Challenge(req.verifier));
  CHECK(q->at("state") == req.state);
  CHECK(q->size() == 9);

  CHECK(req.state.size() == 32);
  CHECK(IsUnreserved(req.state));
  CHECK(req.verifier.size() == kPkceVerifierLength);
  CHECK(req.redirect_uri == "http://127.0.0.1:4242/");
  // Secrets stay out of the URL.
  CHECK(req.url.find(req.verifier) == std::string::npos);
  CHECK(req.url.find("secret-1") == std::string::npos);
}

TEST_CASE("BuildAuthorizationRequest appends to an auth URL with a query",
          "[unit]") {
  auto random = MakeSeededRandom(1);
  OAuthEndpoints endpoints{"https://example.test/auth?hd=example.com", "", ""};
  AuthorizationRequest req = BuildAuthorizationRequest(
      endpoints, OAuthClient{"id", "s"}, "http://127.0.0.1:1/", *random);
  CHECK(req.url.rfind("https://example.test/auth?hd=example.com&client_id=",
                      0) == 0);
}

}  // namespace
}  // namespace gdmount::auth
