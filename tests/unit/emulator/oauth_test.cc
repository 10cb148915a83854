#include "tests/emulator/oauth.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/emulator/jwt.h"

namespace gdmount::emulator {
namespace {

using Params = std::map<std::string, std::string>;
using TokenState = OAuthServer::TokenState;

constexpr const char* kClientId = "123-abc.apps.googleusercontent.com";
constexpr const char* kSecret = "GOCSPX-secret";
constexpr const char* kRedirect = "http://127.0.0.1:5555/cb";
constexpr const char* kDrive = "https://www.googleapis.com/auth/drive";
// RFC 7636 Appendix B.
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kChallenge =
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr const char* kSaEmail = "robot@proj-1.iam.gserviceaccount.com";
constexpr int64_t kStartMs = 1'700'000'000'000;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 &&
        Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The decoded query of a URL (the part after the first '?').
Params QueryOf(const std::string& url) {
  Params out;
  size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest(url);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    size_t eq = item.find('=');
    out[PercentDecode(item.substr(0, eq))] =
        eq == std::string_view::npos ? "" : PercentDecode(item.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

nlohmann::json Json(const OAuthServer::HttpAnswer& a) {
  return nlohmann::json::parse(a.body, nullptr, false);
}

std::string ErrorOf(const OAuthServer::HttpAnswer& a) {
  nlohmann::json j = Json(a);
  return j.is_object() && j.contains("error") && j["error"].is_string()
             ? j["error"].get<std::string>()
             : "<none>";
}

std::string DescriptionOf(const OAuthServer::HttpAnswer& a) {
  nlohmann::json j = Json(a);
  return j.is_object() ? j.value("error_description", "<none>") : "<none>";
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A server with a fake clock and a deterministic token source.
struct Env {
  explicit Env(OAuthOptions o = Options()) {
    server = std::make_unique<OAuthServer>(
        std::move(o), [this] { return now.load(); },
        [this] { return "rnd" + std::to_string(++counter) + "_XyZ-abc"; });
  }

  static OAuthOptions Options() {
    OAuthOptions o;
    o.client_id = kClientId;
    o.client_secret = kSecret;
    o.static_tokens = {"static-token"};
    o.access_token_lifetime_s = 3599;
    return o;
  }

  static Params AuthQuery() {
    return {{"client_id", kClientId},          {"redirect_uri", kRedirect},
            {"response_type", "code"},         {"scope", kDrive},
            {"access_type", "offline"},        {"code_challenge", kChallenge},
            {"code_challenge_method", "S256"}, {"state", "st4te"}};
  }

  // Runs Authorize and returns the code from the redirect.
  std::string Code(const Params& query = AuthQuery()) {
    OAuthServer::HttpAnswer a = server->Authorize(query);
    REQUIRE(a.status == 302);
    Params q = QueryOf(a.headers.at("Location"));
    REQUIRE(q.count("code") == 1);
    return q["code"];
  }

  static Params Exchange(const std::string& code,
                         const std::string& verifier = kVerifier) {
    return {{"grant_type", "authorization_code"}, {"code", code},
            {"redirect_uri", kRedirect},          {"client_id", kClientId},
            {"client_secret", kSecret},           {"code_verifier", verifier}};
  }

  static Params Refresh(const std::string& refresh_token) {
    return {{"grant_type", "refresh_token"},
            {"refresh_token", refresh_token},
            {"client_id", kClientId},
            {"client_secret", kSecret}};
  }

  // Full code flow; returns the token response.
  nlohmann::json Login() {
    OAuthServer::HttpAnswer a = server->Token(Exchange(Code()));
    REQUIRE(a.status == 200);
    return Json(a);
  }

  void Advance(int64_t seconds) { now += seconds * 1000; }

  std::atomic<int64_t> now{kStartMs};
  std::atomic<int> counter{0};
  std::unique_ptr<OAuthServer> server;
};

// --- authorization code flow ------------------------------------------------

TEST_CASE("OAuth code flow with PKCE S256 issues working tokens", "[unit]") {
  // The challenge the client sends is the RFC 7636 Appendix B value.
  REQUIRE(PkceS256Challenge(kVerifier) == kChallenge);
  Env env;
  OAuthServer::HttpAnswer auth = env.server->Authorize(Env::AuthQuery());
  REQUIRE(auth.status == 302);
  const std::string location = auth.headers.at("Location");
  CHECK(location.rfind(std::string(kRedirect) + "?", 0) == 0);
  Params q = QueryOf(location);
  CHECK(q["state"] == "st4te");
  CHECK(q["scope"] == kDrive);
  CHECK(q["code"].rfind("4/0A", 0) == 0);
  // Google's style: '/' and ':' stay literal in the query.
  CHECK(Contains(location, "code=4/0A"));
  CHECK(Contains(location, "scope=https://www.googleapis.com/auth/drive"));

  OAuthServer::HttpAnswer tok = env.server->Token(Env::Exchange(q["code"]));
  REQUIRE(tok.status == 200);
  CHECK(tok.content_type == "application/json; charset=utf-8");
  CHECK(tok.headers.at("Cache-Control") == "no-store");
  nlohmann::json body = Json(tok);
  CHECK(body["token_type"] == "Bearer");
  CHECK(body["expires_in"] == 3599);
  CHECK(body["scope"] == kDrive);
  const std::string access = body["access_token"];
  const std::string refresh = body["refresh_token"];
  CHECK(access.rfind("ya29.", 0) == 0);
  CHECK(refresh.rfind("1//", 0) == 0);
  CHECK(access != refresh);

  CHECK(env.server->CheckAccessToken(access) == TokenState::kValid);
  OAuthServer::AccessTokenInfo info = env.server->LookupAccessToken(access);
  CHECK(info.scope == kDrive);
  CHECK(info.client_id == kClientId);
  CHECK(info.expires_ms == kStartMs + 3599 * 1000);
  CHECK_FALSE(env.server->Authenticate("Bearer " + access).has_value());
  // A refresh token is not an access token.
  CHECK(env.server->CheckAccessToken(refresh) == TokenState::kUnknown);
}

TEST_CASE("OAuth token exchange with the wrong PKCE verifier fails", "[unit]") {
  Env env;
  const std::string code = env.Code();
  const std::string other = std::string(43, 'a');
  OAuthServer::HttpAnswer a = env.server->Token(Env::Exchange(code, other));
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "invalid_grant");
  CHECK(DescriptionOf(a) == "Invalid code verifier.");
  // Malformed verifiers (too short, bad characters) fail the same way.
  CHECK(ErrorOf(env.server->Token(Env::Exchange(code, "short"))) ==
        "invalid_grant");
  CHECK(ErrorOf(env.server->Token(Env::Exchange(
            code, std::string(kVerifier) + "+"))) == "invalid_grant");
  // A failed verification does not burn the code.
  CHECK(env.server->Token(Env::Exchange(code)).status == 200);
}

TEST_CASE("OAuth PKCE verifier is required iff a challenge was sent",
          "[unit]") {
  Env env;
  Params form = Env::Exchange(env.Code());
  form.erase("code_verifier");
  OAuthServer::HttpAnswer a = env.server->Token(form);
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "invalid_grant");
  CHECK(DescriptionOf(a) == "Missing code verifier.");

  Params no_pkce = Env::AuthQuery();
  no_pkce.erase("code_challenge");
  no_pkce.erase("code_challenge_method");
  const std::string code = env.Code(no_pkce);
  CHECK(ErrorOf(env.server->Token(Env::Exchange(code))) == "invalid_request");
  Params without = Env::Exchange(code);
  without.erase("code_verifier");
  CHECK(env.server->Token(without).status == 200);
}

TEST_CASE("OAuth PKCE plain method compares the verifier verbatim", "[unit]") {
  Env env;
  Params q = Env::AuthQuery();
  q["code_challenge"] = kVerifier;
  q["code_challenge_method"] = "plain";
  const std::string code = env.Code(q);
  CHECK(ErrorOf(env.server->Token(Env::Exchange(code, kChallenge))) ==
        "invalid_grant");
  CHECK(env.server->Token(Env::Exchange(code, kVerifier)).status == 200);
  // Absent method with a challenge means plain (RFC 7636 section 4.3).
  q.erase("code_challenge_method");
  CHECK(env.server->Token(Env::Exchange(env.Code(q), kVerifier)).status == 200);
}

TEST_CASE("OAuth reused code fails and revokes the tokens it issued",
          "[unit]") {
  Env env;
  const std::string code = env.Code();
  OAuthServer::HttpAnswer first = env.server->Token(Env::Exchange(code));
  REQUIRE(first.status == 200);
  const std::string access = Json(first)["access_token"];
  const std::string refresh = Json(first)["refresh_token"];
  // An access token minted later from the same grant is revoked too.
  const std::string later =
      Json(env.server->Token(Env::Refresh(refresh)))["access_token"];
  CHECK(env.server->CheckAccessToken(later) == TokenState::kValid);

  OAuthServer::HttpAnswer again = env.server->Token(Env::Exchange(code));
  CHECK(again.status == 400);
  CHECK(ErrorOf(again) == "invalid_grant");
  CHECK(env.server->CheckAccessToken(access) == TokenState::kRevoked);
  CHECK(env.server->CheckAccessToken(later) == TokenState::kRevoked);
  OAuthServer::HttpAnswer r = env.server->Token(Env::Refresh(refresh));
  CHECK(ErrorOf(r) == "invalid_grant");
  CHECK(DescriptionOf(r) == "Token has been expired or revoked.");
}

TEST_CASE("OAuth codes expire after code_lifetime_s", "[unit]") {
  Env env;
  const std::string fresh = env.Code();
  const std::string stale = env.Code();
  env.Advance(599);
  CHECK(env.server->Token(Env::Exchange(fresh)).status == 200);
  env.Advance(1);
  OAuthServer::HttpAnswer a = env.server->Token(Env::Exchange(stale));
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "invalid_grant");
  CHECK(ErrorOf(env.server->Token(Env::Exchange("4/0Anonsense"))) ==
        "invalid_grant");
}

TEST_CASE("OAuth code exchange checks redirect_uri and client", "[unit]") {
  Env env;
  const std::string code = env.Code();
  Params form = Env::Exchange(code);

  form["redirect_uri"] = "http://127.0.0.1:5556/cb";
  OAuthServer::HttpAnswer a = env.server->Token(form);
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "redirect_uri_mismatch");
  form.erase("redirect_uri");
  CHECK(ErrorOf(env.server->Token(form)) == "invalid_request");
  form["redirect_uri"] = kRedirect;

  form["client_id"] = "someone-else";
  a = env.server->Token(form);
  CHECK(a.status == 401);
  CHECK(ErrorOf(a) == "invalid_client");
  CHECK(DescriptionOf(a) == "The OAuth client was not found.");
  form["client_id"] = kClientId;

  form["client_secret"] = "wrong";
  a = env.server->Token(form);
  CHECK(a.status == 401);
  CHECK(ErrorOf(a) == "invalid_client");
  form.erase("client_secret");
  CHECK(ErrorOf(env.server->Token(form)) == "invalid_request");
  form["client_secret"] = kSecret;

  form.erase("code");
  CHECK(ErrorOf(env.server->Token(form)) == "invalid_request");
  form["code"] = code;
  // None of the failures consumed the code.
  CHECK(env.server->Token(form).status == 200);
}

TEST_CASE(
    "OAuth without a configured client accepts any client_id, but "
    "only the one the code was issued to",
    "[unit]") {
  OAuthOptions o;  // no client_id, no secret
  Env env(o);
  Params q = Env::AuthQuery();
  q["client_id"] = "client-A";
  Params form = Env::Exchange(env.Code(q));
  form["client_id"] = "client-B";
  CHECK(ErrorOf(env.server->Token(form)) == "invalid_grant");
  form["client_id"] = "client-A";
  form.erase("client_secret");
  OAuthServer::HttpAnswer ok = env.server->Token(form);
  REQUIRE(ok.status == 200);
  // Refreshing with another client's token is refused.
  Params r = Env::Refresh(Json(ok)["refresh_token"]);
  r["client_id"] = "client-B";
  CHECK(ErrorOf(env.server->Token(r)) == "unauthorized_client");
  r["client_id"] = "";
  CHECK(ErrorOf(env.server->Token(r)) == "invalid_request");
}

// --- authorization endpoint validation --------------------------------------

TEST_CASE("OAuth authorize refuses the OOB redirect URIs", "[unit]") {
  Env env;
  for (const char* uri :
       {"urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob:auto", "oob"}) {
    Params q = Env::AuthQuery();
    q["redirect_uri"] = uri;
    OAuthServer::HttpAnswer a = env.server->Authorize(q);
    CHECK(a.status == 400);
    CHECK(a.headers.count("Location") == 0);
    CHECK(Contains(a.body, "Error 400: invalid_request"));
    CHECK(Contains(a.body, "The out-of-band (OOB) flow has been blocked"));
  }
}

TEST_CASE("OAuth authorize accepts only loopback redirect URIs", "[unit]") {
  Env env;
  for (const char* uri :
       {"http://127.0.0.1:5555", "http://127.0.0.1:1/", "http://[::1]:65535",
        "http://[::1]", "http://localhost:8080/oauth/callback",
        "http://127.0.0.1/", "http://127.0.0.1:8080?x=1"}) {
    Params q = Env::AuthQuery();
    q["redirect_uri"] = uri;
    INFO(uri);
    CHECK(env.server->Authorize(q).status == 302);
  }
  for (const char* uri :
       {"https://127.0.0.1:5555/", "http://example.com/cb",
        "http://127.0.0.1.evil.com/", "http://localhost@evil.com/",
        "http://evil.com@127.0.0.1/", "http://127.0.0.1:0/",
        "http://127.0.0.1:65536/", "http://127.0.0.1:80a/",
        "http://127.0.0.1:/", "http://127.0.0.1:5555/cb#frag",
        "http://127.0.0.2:5555/", "http://[::2]:5555/", "HTTP://127.0.0.1/",
        "http://127.0.0.1:5555/a b", "127.0.0.1:5555"}) {
    Params q = Env::AuthQuery();
    q["redirect_uri"] = uri;
    INFO(uri);
    OAuthServer::HttpAnswer a = env.server->Authorize(q);
    CHECK(a.status == 400);
    CHECK(Contains(a.body, "redirect_uri_mismatch"));
    CHECK(a.headers.count("Location") == 0);
  }
}

TEST_CASE("OAuth authorize echoes state and URL-encodes the redirect",
          "[unit]") {
  Env env;
  Params q = Env::AuthQuery();
  const std::string state = "a b&c=d+e/f%g#h?\xC3\xA9";
  q["state"] = state;
  q["redirect_uri"] = "http://localhost:8080/cb?x=1&y=%2F";
  q["scope"] = std::string(kDrive) + "  openid " + kDrive;  // normalized
  OAuthServer::HttpAnswer a = env.server->Authorize(q);
  REQUIRE(a.status == 302);
  const std::string loc = a.headers.at("Location");
  CHECK(loc.rfind("http://localhost:8080/cb?x=1&y=%2F&state=", 0) == 0);
  CHECK(Contains(loc, "state=a%20b%26c%3Dd%2Be/f%25g%23h%3F%C3%A9&code="));
  CHECK(loc.find('#') == std::string::npos);
  CHECK(loc.find(' ') == std::string::npos);
  Params got = QueryOf(loc);
  CHECK(got["state"] == state);
  CHECK(got["x"] == "1");
  CHECK(got["y"] == "/");
  CHECK(got["scope"] == std::string(kDrive) + " openid");
  CHECK(Contains(loc, "&scope=https://www.googleapis.com/auth/drive%20openid"));

  // The code is bound to the redirect_uri exactly as sent.
  Params form = Env::Exchange(got["code"]);
  form["redirect_uri"] = q["redirect_uri"];
  CHECK(env.server->Token(form).status == 200);

  // No state sent: none echoed. Empty state sent: echoed empty.
  q.erase("state");
  CHECK_FALSE(
      Contains(env.server->Authorize(q).headers.at("Location"), "state="));
  q["state"] = "";
  CHECK(Contains(env.server->Authorize(q).headers.at("Location"),
                 "&state=&code="));
  q["redirect_uri"] = "http://127.0.0.1:9/cb?";
  CHECK(env.server->Authorize(q)
            .headers.at("Location")
            .rfind("http://127.0.0.1:9/cb?state=&code=", 0) == 0);
}

TEST_CASE("OAuth authorize validates its parameters", "[unit]") {
  Env env;
  auto status_with = [&](const char* key, const char* value) {
    Params q = Env::AuthQuery();
    if (value == nullptr) {
      q.erase(key);
    } else {
      q[key] = value;
    }
    return env.server->Authorize(q);
  };
  OAuthServer::HttpAnswer a = status_with("client_id", nullptr);
  CHECK(a.status == 400);
  CHECK(Contains(a.body, "invalid_request"));
  a = status_with("client_id", "unknown-client");
  CHECK(a.status == 401);
  CHECK(Contains(a.body, "invalid_client"));
  CHECK(status_with("redirect_uri", nullptr).status == 400);
  CHECK(status_with("response_type", nullptr).status == 400);
  a = status_with("response_type", "token");
  CHECK(a.status == 400);
  CHECK(Contains(a.body, "unsupported_response_type"));
  CHECK(status_with("scope", nullptr).status == 400);
  CHECK(status_with("scope", "   ").status == 400);
  CHECK(status_with("code_challenge_method", "S512").status == 400);
  CHECK(status_with("code_challenge", nullptr).status == 400);  // method set
  CHECK(status_with("code_challenge", "tooshort").status == 400);
  CHECK(status_with("access_type", "forever").status == 400);
  // Validation errors are pages, never redirects.
  CHECK(status_with("scope", nullptr).headers.count("Location") == 0);
  CHECK(status_with("scope", nullptr).content_type ==
        "text/html; charset=utf-8");
  // Error pages escape what they echo.
  a = status_with("redirect_uri", "http://x/<script>");
  CHECK_FALSE(Contains(a.body, "<script>"));
  CHECK(Contains(a.body, "&lt;script&gt;"));
}

TEST_CASE("OAuth authorize denial redirects with access_denied", "[unit]") {
  Env env;
  env.server->DenyAuthorizationForTest(true);
  OAuthServer::HttpAnswer a = env.server->Authorize(Env::AuthQuery());
  REQUIRE(a.status == 302);
  Params q = QueryOf(a.headers.at("Location"));
  CHECK(q["error"] == "access_denied");
  CHECK(q["state"] == "st4te");
  CHECK(q.count("code") == 0);
  env.server->DenyAuthorizationForTest(false);
  CHECK(env.server->Authorize(Env::AuthQuery()).status == 302);
}

TEST_CASE("OAuth show_code_page displays an exchangeable code", "[unit]") {
  OAuthOptions o = Env::Options();
  o.show_code_page = true;
  Env env(o);
  OAuthServer::HttpAnswer a = env.server->Authorize(Env::AuthQuery());
  REQUIRE(a.status == 200);
  CHECK(a.content_type == "text/html; charset=utf-8");
  CHECK(a.headers.count("Location") == 0);
  const std::string open = "<textarea id=\"code\" readonly>";
  size_t start = a.body.find(open);
  REQUIRE(start != std::string::npos);
  start += open.size();
  const std::string code =
      a.body.substr(start, a.body.find('<', start) - start);
  CHECK(code.rfind("4/0A", 0) == 0);
  CHECK(env.server->Token(Env::Exchange(code)).status == 200);
}

// --- token endpoint: refresh, expiry, revocation ----------------------------

TEST_CASE("OAuth refresh returns a new access token only", "[unit]") {
  Env env;
  nlohmann::json login = env.Login();
  const std::string refresh = login["refresh_token"];
  OAuthServer::HttpAnswer a = env.server->Token(Env::Refresh(refresh));
  REQUIRE(a.status == 200);
  nlohmann::json body = Json(a);
  CHECK_FALSE(body.contains("refresh_token"));
  CHECK(body["token_type"] == "Bearer");
  CHECK(body["scope"] == kDrive);
  CHECK(body["expires_in"] == 3599);
  CHECK(body["access_token"] != login["access_token"]);
  CHECK(env.server->CheckAccessToken(body["access_token"].get<std::string>()) ==
        TokenState::kValid);
  // The earlier access token is unaffected.
  CHECK(env.server->CheckAccessToken(
            login["access_token"].get<std::string>()) == TokenState::kValid);

  CHECK(ErrorOf(env.server->Token(Env::Refresh("1//0unknown"))) ==
        "invalid_grant");
  Params missing = Env::Refresh(refresh);
  missing.erase("refresh_token");
  CHECK(ErrorOf(env.server->Token(missing)) == "invalid_request");
  Params wrong_secret = Env::Refresh(refresh);
  wrong_secret["client_secret"] = "nope";
  CHECK(env.server->Token(wrong_secret).status == 401);
}

TEST_CASE("OAuth access tokens expire on the fake clock", "[unit]") {
  Env env;
  nlohmann::json login = env.Login();
  const std::string access = login["access_token"];
  env.Advance(3598);
  CHECK(env.server->CheckAccessToken(access) == TokenState::kValid);
  env.Advance(1);
  CHECK(env.server->CheckAccessToken(access) == TokenState::kExpired);
  std::optional<OAuthServer::HttpAnswer> denied =
      env.server->Authenticate("Bearer " + access);
  REQUIRE(denied.has_value());
  CHECK(denied->status == 401);
  CHECK(denied->headers.at("WWW-Authenticate") ==
        "Bearer realm=\"https://accounts.google.com/\", "
        "error=\"invalid_token\"");
  nlohmann::json err = Json(*denied)["error"];
  CHECK(err["code"] == 401);
  CHECK(err["status"] == "UNAUTHENTICATED");
  CHECK(err["errors"][0]["reason"] == "authError");
  CHECK(err["errors"][0]["message"] == "Invalid Credentials");
  CHECK(err["errors"][0]["location"] == "Authorization");
  CHECK(err["errors"][0]["locationType"] == "header");

  // The refresh token outlives the access token.
  OAuthServer::HttpAnswer r =
      env.server->Token(Env::Refresh(login["refresh_token"]));
  REQUIRE(r.status == 200);
  CHECK_FALSE(
      env.server
          ->Authenticate("Bearer " + Json(r)["access_token"].get<std::string>())
          .has_value());
  // Long-expired tokens are eventually forgotten.
  env.Advance(2 * 3600);
  env.server->Token(Env::Refresh(login["refresh_token"]));
  CHECK(env.server->CheckAccessToken(access) == TokenState::kUnknown);
}

TEST_CASE("OAuth short access_token_lifetime_s is honoured", "[unit]") {
  OAuthOptions o = Env::Options();
  o.access_token_lifetime_s = 5;
  Env env(o);
  nlohmann::json login = env.Login();
  CHECK(login["expires_in"] == 5);
  env.Advance(5);
  CHECK(env.server->CheckAccessToken(
            login["access_token"].get<std::string>()) == TokenState::kExpired);
}

TEST_CASE("OAuth revoke endpoint revokes the whole grant", "[unit]") {
  Env env;
  SECTION("by refresh token") {
    nlohmann::json login = env.Login();
    const std::string refresh = login["refresh_token"];
    OAuthServer::HttpAnswer a = env.server->Revoke(refresh);
    CHECK(a.status == 200);
    CHECK(env.server->CheckAccessToken(
              login["access_token"].get<std::string>()) ==
          TokenState::kRevoked);
    CHECK(ErrorOf(env.server->Token(Env::Refresh(refresh))) == "invalid_grant");
    a = env.server->Revoke(refresh);
    CHECK(a.status == 400);
    CHECK(ErrorOf(a) == "invalid_token");
  }
  SECTION("by access token") {
    nlohmann::json login = env.Login();
    const std::string access = login["access_token"];
    CHECK(env.server->Revoke(access).status == 200);
    CHECK(env.server->CheckAccessToken(access) == TokenState::kRevoked);
    CHECK(ErrorOf(env.server->Token(Env::Refresh(login["refresh_token"]))) ==
          "invalid_grant");
    CHECK(env.server->Revoke(access).status == 400);
  }
  SECTION("unknown and expired tokens") {
    CHECK(ErrorOf(env.server->Revoke("ya29.nope")) == "invalid_token");
    CHECK(env.server->Revoke("").status == 400);
    nlohmann::json login = env.Login();
    env.Advance(3600);
    CHECK(env.server->Revoke(login["access_token"].get<std::string>()).status ==
          400);
  }
}

TEST_CASE("OAuth RevokeAccessToken revokes one token, refresh still works",
          "[unit]") {
  Env env;
  nlohmann::json login = env.Login();
  const std::string access = login["access_token"];
  env.server->RevokeAccessToken(access);
  CHECK(env.server->CheckAccessToken(access) == TokenState::kRevoked);
  CHECK(env.server->Authenticate("Bearer " + access).has_value());
  OAuthServer::HttpAnswer r =
      env.server->Token(Env::Refresh(login["refresh_token"]));
  REQUIRE(r.status == 200);
  CHECK(env.server->CheckAccessToken(
            Json(r)["access_token"].get<std::string>()) == TokenState::kValid);
  env.server->RevokeAccessToken("unknown");  // no-op
}

TEST_CASE("OAuth static tokens are always valid", "[unit]") {
  Env env;
  CHECK(env.server->CheckAccessToken("static-token") == TokenState::kValid);
  CHECK(env.server->LookupAccessToken("static-token").scope == kDrive);
  CHECK_FALSE(env.server->Authenticate("Bearer static-token").has_value());
  CHECK_FALSE(env.server->Authenticate("bearer  static-token ").has_value());
  env.server->RevokeAccessToken("static-token");
  CHECK(env.server->Revoke("static-token").status == 200);
  env.Advance(10LL * 365 * 24 * 3600);
  CHECK(env.server->CheckAccessToken("static-token") == TokenState::kValid);
  CHECK(env.server->CheckAccessToken("static-tokenX") == TokenState::kUnknown);
}

TEST_CASE("OAuth Authenticate distinguishes missing and bad credentials",
          "[unit]") {
  Env env;
  std::optional<OAuthServer::HttpAnswer> missing = env.server->Authenticate("");
  REQUIRE(missing.has_value());
  CHECK(missing->status == 401);
  CHECK(Json(*missing)["error"]["errors"][0]["reason"] == "required");
  CHECK(missing->headers.at("WWW-Authenticate") ==
        "Bearer realm=\"https://accounts.google.com/\"");
  for (const char* h : {"Bearer", "Bearer ", "Basic static-token",
                        "static-token", "Bearer ya29.unknown"}) {
    INFO(h);
    std::optional<OAuthServer::HttpAnswer> a = env.server->Authenticate(h);
    REQUIRE(a.has_value());
    CHECK(Json(*a)["error"]["errors"][0]["reason"] == "authError");
  }
}

TEST_CASE("OAuth token endpoint grant_type errors and injected failures",
          "[unit]") {
  Env env;
  OAuthServer::HttpAnswer a = env.server->Token({});
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "invalid_request");
  a = env.server->Token({{"grant_type", "password"}});
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "unsupported_grant_type");
  CHECK(a.headers.at("Cache-Control") == "no-store");

  const std::string code = env.Code();
  env.server->FailNextTokenRequestsForTest(2, "invalid_grant", "Bad Request");
  CHECK(ErrorOf(env.server->Token(Env::Exchange(code))) == "invalid_grant");
  CHECK(ErrorOf(env.server->Token(Env::Exchange(code))) == "invalid_grant");
  CHECK(env.server->Token(Env::Exchange(code)).status == 200);
  env.server->FailNextTokenRequestsForTest(1, "invalid_client", "x");
  CHECK(env.server->Token({}).status == 401);
}

// --- service accounts: JWT bearer grant -------------------------------------

struct SaEnv : Env {
  SaEnv() : SaEnv(Options()) {}
  explicit SaEnv(OAuthOptions o) : Env(std::move(o)) {
    Result<nlohmann::json> file =
        server->CreateServiceAccount(kSaEmail, kGoogleTokenUri);
    REQUIRE(file.ok());
    key_file = *file;
    key = RsaKey::FromPrivatePem(key_file["private_key"].get<std::string>())
              .value();
    kid = key_file["private_key_id"].get<std::string>();
  }

  int64_t NowS() const { return now.load() / 1000; }

  nlohmann::json Claims() const {
    return {{"iss", kSaEmail},
            {"scope", kDrive},
            {"aud", kGoogleTokenUri},
            {"iat", NowS()},
            {"exp", NowS() + 3600}};
  }

  static Params Grant(const std::string& assertion) {
    return {{"grant_type", kJwtBearerGrant}, {"assertion", assertion}};
  }

  OAuthServer::HttpAnswer Send(const nlohmann::json& claims) {
    return server->Token(Grant(EncodeJwtRs256(claims, key, kid).value()));
  }

  // A token with an arbitrary header and a signature by `key`.
  OAuthServer::HttpAnswer SendRaw(const nlohmann::json& header,
                                  const nlohmann::json& claims) {
    std::string input =
        Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
    return server->Token(
        Grant(input + "." + Base64UrlEncode(key.SignRs256(input).value())));
  }

  nlohmann::json key_file;
  RsaKey key;
  std::string kid;
};

TEST_CASE("OAuth CreateServiceAccount returns Google's key-file shape",
          "[unit]") {
  SaEnv env;
  const nlohmann::json& f = env.key_file;
  CHECK(f["type"] == "service_account");
  CHECK(f["project_id"] == "proj-1");
  CHECK(f["client_email"] == kSaEmail);
  CHECK(f["token_uri"] == kGoogleTokenUri);
  CHECK(f["auth_uri"] == "https://accounts.google.com/o/oauth2/auth");
  CHECK(f["auth_provider_x509_cert_url"] ==
        "https://www.googleapis.com/oauth2/v1/certs");
  CHECK(f["client_x509_cert_url"] ==
        "https://www.googleapis.com/robot/v1/metadata/x509/"
        "robot%40proj-1.iam.gserviceaccount.com");
  const std::string kid = f["private_key_id"];
  CHECK(kid.size() == 40);
  CHECK(kid.find_first_not_of("0123456789abcdef") == std::string::npos);
  const std::string client_id = f["client_id"];
  CHECK(client_id.size() == 21);
  CHECK(client_id.find_first_not_of("0123456789") == std::string::npos);
  CHECK(f["private_key"].get<std::string>().rfind(
            "-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  CHECK(env.key.bits() == 2048);

  CHECK(env.server->CreateServiceAccount("no-at-sign", "x").status().code() ==
        StatusCode::kInvalidArgument);
  nlohmann::json other =
      env.server->CreateServiceAccount("bot@example.com", "x").value();
  CHECK(other["project_id"] == "emulator");
  CHECK(other["private_key_id"] != f["private_key_id"]);
}

TEST_CASE("OAuth JWT bearer grant with a valid assertion", "[unit]") {
  SaEnv env;
  OAuthServer::HttpAnswer a = env.Send(env.Claims());
  REQUIRE(a.status == 200);
  nlohmann::json body = Json(a);
  CHECK(body["token_type"] == "Bearer");
  CHECK(body["expires_in"] == 3599);
  CHECK(body["scope"] == kDrive);
  CHECK_FALSE(body.contains("refresh_token"));
  const std::string access = body["access_token"];
  OAuthServer::AccessTokenInfo info = env.server->LookupAccessToken(access);
  CHECK(info.state == TokenState::kValid);
  CHECK(info.subject == kSaEmail);
  CHECK(info.client_id.empty());

  // Domain-wide delegation: `sub` becomes the subject.
  nlohmann::json claims = env.Claims();
  claims["sub"] = "user@example.com";
  a = env.Send(claims);
  REQUIRE(a.status == 200);
  CHECK(
      env.server->LookupAccessToken(Json(a)["access_token"].get<std::string>())
          .subject == "user@example.com");

  // Without kid every key of the account is tried.
  a = env.server->Token(
      SaEnv::Grant(EncodeJwtRs256(env.Claims(), env.key, "").value()));
  CHECK(a.status == 200);
  // Boundaries: iat 300 s in the future, lifetime exactly 3600 s.
  claims = env.Claims();
  claims["iat"] = env.NowS() + 300;
  claims["exp"] = env.NowS() + 300 + 3600;
  CHECK(env.Send(claims).status == 200);
}

TEST_CASE("OAuth JWT bearer grant rejects bad signatures and keys", "[unit]") {
  SaEnv env;
  RsaKey other = RsaKey::Generate().value();
  OAuthServer::HttpAnswer a = env.server->Token(
      SaEnv::Grant(EncodeJwtRs256(env.Claims(), other, env.kid).value()));
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "invalid_grant");
  CHECK(DescriptionOf(a) == "Invalid JWT Signature.");

  // Claims changed after signing.
  std::string jwt = EncodeJwtRs256(env.Claims(), env.key, env.kid).value();
  nlohmann::json forged = env.Claims();
  forged["scope"] = "https://www.googleapis.com/auth/cloud-platform";
  size_t d1 = jwt.find('.');
  size_t d2 = jwt.rfind('.');
  std::string tampered =
      jwt.substr(0, d1 + 1) + Base64UrlEncode(forged.dump()) + jwt.substr(d2);
  CHECK(DescriptionOf(env.server->Token(SaEnv::Grant(tampered))) ==
        "Invalid JWT Signature.");

  // Unknown kid, unknown issuer.
  a = env.server->Token(
      SaEnv::Grant(EncodeJwtRs256(env.Claims(), env.key, "0123").value()));
  CHECK(DescriptionOf(a) == "Invalid JWT Signature.");
  nlohmann::json claims = env.Claims();
  claims["iss"] = "stranger@proj-1.iam.gserviceaccount.com";
  a = env.Send(claims);
  CHECK(ErrorOf(a) == "invalid_grant");
  CHECK(DescriptionOf(a) == "Invalid grant: account not found");
}

TEST_CASE("OAuth JWT bearer grant refuses alg none and HS256", "[unit]") {
  SaEnv env;
  const std::string claims = Base64UrlEncode(env.Claims().dump());
  // Unsigned token.
  std::string none =
      Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + claims + ".";
  OAuthServer::HttpAnswer a = env.server->Token(SaEnv::Grant(none));
  CHECK(a.status == 400);
  CHECK(ErrorOf(a) == "invalid_grant");
  // HS256 (the algorithm-confusion attack, where the public key is used as
  // an HMAC secret): the algorithm alone must disqualify the token.
  nlohmann::json hs = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", env.kid}};
  CHECK(ErrorOf(env.SendRaw(hs, env.Claims())) == "invalid_grant");
  // A genuine RS256 signature under a header that lies about alg.
  nlohmann::json lie = {{"alg", "RS512"}, {"kid", env.kid}};
  CHECK(ErrorOf(env.SendRaw(lie, env.Claims())) == "invalid_grant");
  nlohmann::json no_alg = {{"kid", env.kid}};
  CHECK(ErrorOf(env.SendRaw(no_alg, env.Claims())) == "invalid_grant");
  // The same construction with alg RS256 is accepted, so the checks above
  // failed for the algorithm only.
  nlohmann::json rs = {{"alg", "RS256"}, {"kid", env.kid}};
  CHECK(env.SendRaw(rs, env.Claims()).status == 200);
}

TEST_CASE("OAuth JWT bearer grant checks aud, times and scope", "[unit]") {
  SaEnv env;
  const std::string kShortLived =
      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
      "reasonable timeframe. Check your iat and exp values in the JWT claim.";
  nlohmann::json c = env.Claims();
  c["aud"] = "https://example.com/token";
  CHECK(ErrorOf(env.Send(c)) == "invalid_grant");
  c.erase("aud");
  CHECK(ErrorOf(env.Send(c)) == "invalid_grant");

  SECTION("expired") {
    c = env.Claims();
    c["iat"] = env.NowS() - 3600;
    c["exp"] = env.NowS();
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
    // A token valid when minted expires with the clock.
    nlohmann::json later = env.Claims();
    env.Advance(3600);
    CHECK(DescriptionOf(env.Send(later)) == kShortLived);
  }
  SECTION("too long a lifetime") {
    c = env.Claims();
    c["exp"] = env.NowS() + 3601;
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
  }
  SECTION("issued in the future") {
    c = env.Claims();
    c["iat"] = env.NowS() + 301;
    c["exp"] = env.NowS() + 1000;
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
  }
  SECTION("non-numeric or missing times") {
    c = env.Claims();
    c["iat"] = std::to_string(env.NowS());
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
    c = env.Claims();
    c.erase("exp");
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
    c = env.Claims();
    c["exp"] = 1e300;
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
    c = env.Claims();
    c["exp"] = env.NowS() - 10;
    c["iat"] = env.NowS() + 10;
    CHECK(DescriptionOf(env.Send(c)) == kShortLived);
  }
  SECTION("scope required") {
    c = env.Claims();
    c.erase("scope");
    OAuthServer::HttpAnswer a = env.Send(c);
    CHECK(a.status == 400);
    CHECK(ErrorOf(a) == "invalid_scope");
    c["scope"] = " ";
    CHECK(ErrorOf(env.Send(c)) == "invalid_scope");
  }
}

TEST_CASE("OAuth JWT bearer grant with configured audiences", "[unit]") {
  OAuthOptions o = Env::Options();
  o.token_audiences = {"http://127.0.0.1:9000/token"};
  SaEnv env(o);
  nlohmann::json c = env.Claims();
  CHECK(ErrorOf(env.Send(c)) == "invalid_grant");  // Google's, not listed
  c["aud"] = "http://127.0.0.1:9000/token";
  CHECK(env.Send(c).status == 200);
}

TEST_CASE("OAuth JWT bearer grant rejects malformed assertions", "[unit]") {
  SaEnv env;
  const std::string claims = Base64UrlEncode(env.Claims().dump());
  const std::string header =
      Base64UrlEncode(R"({"alg":"RS256","kid":")" + env.kid + "\"}");
  for (const std::string& bad :
       {std::string("not-a-jwt"), header + "." + claims,
        header + "!." + claims + ".c2ln", header + "." + claims + ".***",
        Base64UrlEncode("{\"alg\":") + "." + claims + ".c2ln",
        header + "." + Base64UrlEncode("[]") + ".c2ln",
        header + "." + Base64UrlEncode("\xff") + ".c2ln",
        std::string(20000, 'a')}) {
    INFO(bad.substr(0, 60));
    OAuthServer::HttpAnswer a = env.server->Token(SaEnv::Grant(bad));
    CHECK(a.status == 400);
    CHECK(ErrorOf(a) == "invalid_grant");
  }
  OAuthServer::HttpAnswer a =
      env.server->Token({{"grant_type", kJwtBearerGrant}});
  CHECK(ErrorOf(a) == "invalid_request");
}

TEST_CASE("OAuth AddServiceAccount registers an existing key file", "[unit]") {
  SaEnv source;
  Env env;
  REQUIRE(env.server->AddServiceAccount(source.key_file).ok());
  OAuthServer::HttpAnswer a = env.server->Token(SaEnv::Grant(
      EncodeJwtRs256(source.Claims(), source.key, source.kid).value()));
  CHECK(a.status == 200);

  nlohmann::json bad = source.key_file;
  bad["type"] = "authorized_user";
  CHECK(env.server->AddServiceAccount(bad).code() ==
        StatusCode::kInvalidArgument);
  bad = source.key_file;
  bad.erase("private_key_id");
  CHECK(env.server->AddServiceAccount(bad).code() ==
        StatusCode::kInvalidArgument);
  bad = source.key_file;
  bad["private_key"] =
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE "
      "KEY-----\n";
  CHECK(env.server->AddServiceAccount(bad).code() ==
        StatusCode::kInvalidArgument);
  bad["private_key"] = 42;
  CHECK(env.server->AddServiceAccount(bad).code() ==
        StatusCode::kInvalidArgument);
  CHECK(env.server->AddServiceAccount(nlohmann::json::array()).code() ==
        StatusCode::kInvalidArgument);
}

// --- persistence ------------------------------------------------------------

TEST_CASE("OAuth Snapshot and Restore round-trip the durable state", "[unit]") {
  SaEnv env;
  nlohmann::json login = env.Login();
  nlohmann::json revoked = env.Login();
  REQUIRE(
      env.server->Revoke(revoked["refresh_token"].get<std::string>()).status ==
      200);
  const std::string sa_access = Json(env.Send(env.Claims()))["access_token"];

  const std::string text = env.server->Snapshot().dump();
  CHECK_FALSE(Contains(text, "PRIVATE KEY"));
  CHECK(Contains(text, "BEGIN PUBLIC KEY"));

  // A new emulator process, same clock.
  Env restarted;
  restarted.now = env.now.load();
  restarted.counter = 1000;  // the new process draws different tokens
  REQUIRE(restarted.server->Restore(nlohmann::json::parse(text)).ok());
  auto state = [&](const nlohmann::json& t) {
    return restarted.server->CheckAccessToken(t.get<std::string>());
  };
  CHECK(state(login["access_token"]) == TokenState::kValid);
  CHECK(restarted.server
            ->LookupAccessToken(login["access_token"].get<std::string>())
            .client_id == kClientId);
  CHECK(restarted.server->CheckAccessToken(sa_access) == TokenState::kValid);
  CHECK(restarted.server->LookupAccessToken(sa_access).subject == kSaEmail);
  CHECK(state(revoked["access_token"]) == TokenState::kUnknown);
  CHECK(restarted.server->Token(Env::Refresh(login["refresh_token"])).status ==
        200);
  CHECK(ErrorOf(restarted.server->Token(
            Env::Refresh(revoked["refresh_token"]))) == "invalid_grant");
  // The service-account key survived (public half only).
  CHECK(restarted.server
            ->Token(SaEnv::Grant(
                EncodeJwtRs256(env.Claims(), env.key, env.kid).value()))
            .status == 200);
  // Expiry still applies after the restart.
  restarted.Advance(3599);
  CHECK(state(login["access_token"]) == TokenState::kExpired);
  // Revoking the restored refresh token revokes its restored access tokens.
  Env again;
  again.now = env.now.load();
  REQUIRE(again.server->Restore(nlohmann::json::parse(text)).ok());
  CHECK(
      again.server->Revoke(login["refresh_token"].get<std::string>()).status ==
      200);
  CHECK(again.server->CheckAccessToken(
            login["access_token"].get<std::string>()) == TokenState::kRevoked);
}

TEST_CASE("OAuth Snapshot omits expired tokens", "[unit]") {
  Env env;
  nlohmann::json login = env.Login();
  env.Advance(3600);
  nlohmann::json snap = env.server->Snapshot();
  CHECK(snap["access_tokens"].empty());
  CHECK(snap["refresh_tokens"].size() == 1);
}

TEST_CASE("OAuth Restore rejects malformed snapshots atomically", "[unit]") {
  SaEnv source;
  nlohmann::json login = source.Login();
  nlohmann::json good = source.server->Snapshot();
  const std::string access = login["access_token"];

  std::vector<nlohmann::json> bad(7, good);
  bad[0]["version"] = 2;
  bad[1].erase("access_tokens");
  bad[2]["refresh_tokens"][0]["token"] = 7;
  bad[3]["access_tokens"][0]["refresh_token"] = "1//0dangling";
  bad[4]["access_tokens"][0]["expires_ms"] = "soon";
  bad[5]["service_accounts"][0]["public_key"] = "garbage";
  bad[6] = nlohmann::json::array();
  for (size_t i = 0; i < bad.size(); ++i) {
    INFO(i);
    Env env;
    env.now = source.now.load();
    CHECK(env.server->Restore(bad[i]).code() == StatusCode::kInvalidArgument);
    // Nothing was applied, not even the valid entries before the bad one.
    CHECK(env.server->CheckAccessToken(access) == TokenState::kUnknown);
    CHECK(env.server->Snapshot()["service_accounts"].empty());
  }
}

// --- concurrency ------------------------------------------------------------

TEST_CASE("OAuth server handles concurrent flows", "[unit]") {
  Env env;
  constexpr int kThreads = 4;
  constexpr int kFlows = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kFlows; ++i) {
        OAuthServer::HttpAnswer auth = env.server->Authorize(Env::AuthQuery());
        if (auth.status != 302) continue;
        Params q = QueryOf(auth.headers.at("Location"));
        OAuthServer::HttpAnswer tok =
            env.server->Token(Env::Exchange(q["code"]));
        nlohmann::json body = Json(tok);
        if (tok.status == 200 && env.server->CheckAccessToken(
                                     body["access_token"].get<std::string>()) ==
                                     TokenState::kValid) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok.load() == kThreads * kFlows);
}

}  // namespace
}  // namespace gdmount::emulator
