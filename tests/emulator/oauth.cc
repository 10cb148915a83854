#include "tests/emulator/oauth.h"

#include <cctype>
#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

#include "util/strings.h"

namespace gdmount::emulator {
namespace {

using Params = std::map<std::string, std::string>;
using HttpAnswer = OAuthServer::HttpAnswer;

// Token prefixes Google uses; clients sometimes sanity-check them, and a
// '/' in codes exercises URL encoding on the redirect.
constexpr const char* kCodePrefix = "4/0A";
constexpr const char* kRefreshPrefix = "1//0";
constexpr const char* kUserAccessPrefix = "ya29.a0";
constexpr const char* kServiceAccessPrefix = "ya29.c.";

// Expired codes and access tokens are kept this long so that they are
// reported as expired (kExpired, "Bad Request") rather than unknown.
constexpr int64_t kExpiredRetentionMs = 3600 * 1000;
// Used codes are kept longer so that a late replay still revokes the grant.
constexpr int64_t kUsedCodeRetentionMs = 24 * 3600 * 1000;
// Google's JWT bearer limits: 60-minute tokens, 5 minutes of clock skew.
constexpr int64_t kMaxJwtLifetimeS = 3600;
constexpr int64_t kJwtClockSkewS = 300;
// Real assertions are ~1 KiB; anything huge is not worth parsing.
constexpr size_t kMaxAssertionBytes = 16 * 1024;
// Plausible NumericDate bound (year ~2286), so int64 math cannot overflow.
constexpr int64_t kMaxNumericDate = 10'000'000'000;
constexpr int kSnapshotVersion = 1;

constexpr const char* kOobBlocked =
    "The out-of-band (OOB) flow has been blocked in order to keep users "
    "secure. Follow the Out-of-Band (OOB) flow migration guide linked in the "
    "developer docs below to migrate your app to an alternative method.";
constexpr const char* kShortLivedJwt =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
    "reasonable timeframe. Check your iat and exp values in the JWT claim.";
constexpr const char* kBadJwtSignature = "Invalid JWT Signature.";
constexpr const char* kAuthErrorHelp =
    " Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.";

const std::string* Find(const Params& p, const char* key) {
  auto it = p.find(key);
  return it == p.end() ? nullptr : &it->second;
}

std::string Get(const Params& p, const char* key) {
  const std::string* v = Find(p, key);
  return v ? *v : std::string();
}

const std::string* StrField(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// A JSON number as whole seconds/milliseconds, if it is in a sane range.
std::optional<int64_t> IntValue(const nlohmann::json& v, int64_t bound) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(bound)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i > bound || i < -bound) return std::nullopt;
    return i;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(bound)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(std::floor(d));
  }
  return std::nullopt;
}

std::optional<int64_t> IntField(const nlohmann::json& obj, const char* key,
                                int64_t bound) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  return IntValue(*it, bound);
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-encodes everything but unreserved characters and `safe`. Google
// leaves ':' and '/' alone in redirect query values (legal there per RFC
// 3986 section 3.4) and encodes space as %20.
std::string PercentEncode(std::string_view s, std::string_view safe) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (IsUnreserved(c) || safe.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[(static_cast<uint8_t>(c) >> 4) & 15];
      out += kHex[static_cast<uint8_t>(c) & 15];
    }
  }
  return out;
}

std::string AppendQuery(
    const std::string& uri,
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = uri;
  char last = out.empty() ? '\0' : out.back();
  bool has_query = out.find('?') != std::string::npos;
  bool need_sep = has_query && last != '?' && last != '&';
  if (!has_query) out += '?';
  for (const auto& [k, v] : params) {
    if (need_sep) out += '&';
    out += k + "=" + PercentEncode(v, ":/");
    need_sep = true;
  }
  return out;
}

bool IsOobRedirect(std::string_view uri) {
  return uri == "urn:ietf:wg:oauth:2.0:oob" ||
         uri == "urn:ietf:wg:oauth:2.0:oob:auto" || uri == "oob";
}

// http://127.0.0.1[:port], http://[::1][:port] or http://localhost[:port],
// then an optional path and query; no fragment, no userinfo (RFC 8252
// section 7.3, Google's loopback rules).
bool IsLoopbackRedirect(std::string_view uri) {
  constexpr std::string_view kScheme = "http://";
  if (uri.substr(0, kScheme.size()) != kScheme) return false;
  uri.remove_prefix(kScheme.size());
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') {
      return false;
    }
  }
  std::string_view authority = uri.substr(0, uri.find_first_of("/?"));
  size_t host_end = authority.rfind(':');
  if (host_end != std::string_view::npos &&
      authority.rfind(']') != std::string_view::npos &&
      host_end < authority.rfind(']')) {
    host_end = std::string_view::npos;  // the ':' is inside "[::1]"
  }
  std::string_view host = authority.substr(0, host_end);
  if (host != "127.0.0.1" && host != "[::1]" && host != "localhost") {
    return false;
  }
  if (host_end == std::string_view::npos) return true;
  std::string_view port = authority.substr(host_end + 1);
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

// Space-separated scopes, duplicates and extra whitespace removed.
std::string NormalizeScope(std::string_view scope) {
  std::vector<std::string> seen;
  std::string out;
  size_t i = 0;
  while (i < scope.size()) {
    size_t j = scope.find(' ', i);
    if (j == std::string_view::npos) j = scope.size();
    std::string item(scope.substr(i, j - i));
    i = j + 1;
    if (item.empty()) continue;
    bool dup = false;
    for (const auto& s : seen) dup = dup || s == item;
    if (dup) continue;
    if (!out.empty()) out += ' ';
    out += item;
    seen.push_back(std::move(item));
  }
  return out;
}

HttpAnswer ErrorPage(int status, const std::string& error,
                     const std::string& description) {
  HttpAnswer a;
  a.status = status;
  a.content_type = "text/html; charset=utf-8";
  a.body =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Error " +
      std::to_string(status) + " (" + util::HtmlEscape(error) +
      ")</title></head>\n<body><h1>Access blocked: Authorization Error"
      "</h1>\n<p id=\"error\">Error " +
      std::to_string(status) + ": " + util::HtmlEscape(error) +
      "</p>\n<p id=\"error_description\">" + util::HtmlEscape(description) +
      "</p>\n</body></html>\n";
  a.headers["Cache-Control"] = "no-store";
  return a;
}

HttpAnswer Redirect(const std::string& location) {
  HttpAnswer a;
  a.status = 302;
  a.content_type = "text/html; charset=utf-8";
  a.body = "<html><body>Moved <a href=\"" + util::HtmlEscape(location) +
           "\">here</a>.</body></html>\n";
  a.headers["Location"] = location;
  a.headers["Cache-Control"] = "no-store";
  return a;
}

HttpAnswer JsonAnswer(int status, const nlohmann::json& body) {
  HttpAnswer a;
  a.status = status;
  a.content_type = "application/json; charset=utf-8";
  a.body = DumpJson(body);
  a.headers["Cache-Control"] = "no-store";
  a.headers["Pragma"] = "no-cache";
  return a;
}

// RFC 6749 section 5.2: invalid_client is 401, the rest 400.
HttpAnswer TokenError(const std::string& error,
                      const std::string& description) {
  int status = error == "invalid_client" ? 401 : 400;
  if (error == "server_error") status = 500;
  return JsonAnswer(status,
                    {{"error", error}, {"error_description", description}});
}

HttpAnswer TokenError(const OAuthError& e) {
  return TokenError(e.error, e.description);
}

HttpAnswer CollisionError() {
  return TokenError("server_error", "random token collision");
}

// PKCE check at the token endpoint (RFC 7636 section 4.6).
std::optional<OAuthError> CheckPkce(const std::string& challenge, bool s256,
                                    const Params& form) {
  const std::string* verifier = Find(form, "code_verifier");
  if (challenge.empty()) {
    if (verifier == nullptr) return std::nullopt;
    return OAuthError{"invalid_request",
                      "code_verifier or verifier is not needed."};
  }
  if (verifier == nullptr || verifier->empty()) {
    return OAuthError{"invalid_grant", "Missing code verifier."};
  }
  if (!IsValidPkceVerifier(*verifier) ||
      (s256 ? PkceS256Challenge(*verifier) : *verifier) != challenge) {
    return OAuthError{"invalid_grant", "Invalid code verifier."};
  }
  return std::nullopt;
}

bool IsS256Challenge(const std::string& c) {
  // BASE64URL of a 32-byte digest is exactly 43 characters.
  if (c.size() != 43) return false;
  for (char ch : c) {
    if (!IsUnreserved(ch) || ch == '.' || ch == '~') return false;
  }
  return true;
}

// Checks code_challenge(_method) at the authorization endpoint.
std::optional<std::string> CheckChallenge(const Params& q, std::string* chal,
                                          bool* s256) {
  const std::string* method = Find(q, "code_challenge_method");
  *chal = Get(q, "code_challenge");
  *s256 = method != nullptr && *method == "S256";
  if (method != nullptr && *method != "S256" && *method != "plain") {
    return "Invalid code_challenge_method: " + *method;
  }
  if (chal->empty()) {
    if (method != nullptr) return std::string("Missing code_challenge.");
    return std::nullopt;
  }
  if (*s256 ? !IsS256Challenge(*chal) : !IsValidPkceVerifier(*chal)) {
    return std::string("Invalid code_challenge.");
  }
  return std::nullopt;
}

struct AuthRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
  std::string challenge;  // empty: no PKCE
  bool s256 = false;
};

// The checks whose failure cannot be redirected: client and redirect_uri.
std::optional<HttpAnswer> CheckAuthClient(const Params& q,
                                          const std::string& configured,
                                          AuthRequest* req) {
  req->client_id = Get(q, "client_id");
  if (req->client_id.empty()) {
    return ErrorPage(400, "invalid_request",
                     "Missing required parameter: client_id");
  }
  if (!configured.empty() && req->client_id != configured) {
    return ErrorPage(401, "invalid_client", "The OAuth client was not found.");
  }
  req->redirect_uri = Get(q, "redirect_uri");
  if (req->redirect_uri.empty()) {
    return ErrorPage(400, "invalid_request",
                     "Missing required parameter: redirect_uri");
  }
  if (IsOobRedirect(req->redirect_uri)) {
    return ErrorPage(400, "invalid_request", kOobBlocked);
  }
  if (!IsLoopbackRedirect(req->redirect_uri)) {
    return ErrorPage(400, "redirect_uri_mismatch",
                     "You can't sign in to this app because it doesn't "
                     "comply with Google's OAuth 2.0 policy. Request "
                     "details: redirect_uri=" +
                         req->redirect_uri);
  }
  return std::nullopt;
}

// The remaining checks; Google shows these as error pages as well.
std::optional<HttpAnswer> CheckAuthParams(const Params& q, AuthRequest* req) {
  const std::string response_type = Get(q, "response_type");
  if (response_type.empty()) {
    return ErrorPage(400, "invalid_request",
                     "Required parameter is missing: response_type");
  }
  if (response_type != "code") {
    return ErrorPage(400, "unsupported_response_type",
                     "Invalid response_type: " + response_type);
  }
  req->scope = NormalizeScope(Get(q, "scope"));
  if (req->scope.empty()) {
    return ErrorPage(400, "invalid_request",
                     "Missing required parameter: scope");
  }
  if (auto bad = CheckChallenge(q, &req->challenge, &req->s256)) {
    return ErrorPage(400, "invalid_request", *bad);
  }
  const std::string* access_type = Find(q, "access_type");
  if (access_type && *access_type != "online" && *access_type != "offline") {
    return ErrorPage(400, "invalid_request",
                     "Invalid access_type: " + *access_type);
  }
  return std::nullopt;
}

// show_code_page: the code (and the full redirect URL) for copy-paste.
HttpAnswer CodePage(const std::string& code, const std::string& location) {
  HttpAnswer a;
  a.content_type = "text/html; charset=utf-8";
  a.headers["Cache-Control"] = "no-store";
  a.body =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Success code=" +
      util::HtmlEscape(code) +
      "</title></head>\n<body><p>Please copy this code, switch to your "
      "application and paste it there:</p>\n"
      "<textarea id=\"code\" readonly>" +
      util::HtmlEscape(code) +
      "</textarea>\n<p>Or paste the full redirect URL:</p>\n"
      "<textarea id=\"redirect_url\" readonly>" +
      util::HtmlEscape(location) + "</textarea>\n</body></html>\n";
  return a;
}

std::vector<std::string> DefaultAudiences();

}  // namespace

void OAuthServer::AddTokenAudience(const std::string& audience) {
  if (opts_.token_audiences.empty()) opts_.token_audiences = DefaultAudiences();
  for (const auto& a : opts_.token_audiences)
    if (a == audience) return;
  opts_.token_audiences.push_back(audience);
}

namespace {

std::vector<std::string> DefaultAudiences() {
  return {kGoogleTokenUri, "https://accounts.google.com/o/oauth2/token",
          "https://www.googleapis.com/oauth2/v4/token"};
}

struct JwtGrantClaims {
  std::string scope;
  std::string subject;
};

// Claim checks after the signature has been verified.
std::optional<OAuthError> CheckJwtClaims(
    const nlohmann::json& claims, int64_t now_s,
    const std::vector<std::string>& audiences, JwtGrantClaims* out) {
  const std::string* aud = StrField(claims, "aud");
  bool aud_ok = false;
  for (const auto& a : audiences) aud_ok = aud_ok || (aud && *aud == a);
  if (!aud_ok) {
    return OAuthError{"invalid_grant", "Invalid JWT: Failed audience check."};
  }
  std::optional<int64_t> iat = IntField(claims, "iat", kMaxNumericDate);
  std::optional<int64_t> exp = IntField(claims, "exp", kMaxNumericDate);
  if (!iat || !exp || *exp <= now_s || *iat > now_s + kJwtClockSkewS ||
      *exp <= *iat || *exp - *iat > kMaxJwtLifetimeS) {
    return OAuthError{"invalid_grant", kShortLivedJwt};
  }
  const std::string* scope = StrField(claims, "scope");
  out->scope = scope ? NormalizeScope(*scope) : std::string();
  if (out->scope.empty()) {
    return OAuthError{"invalid_scope",
                      "Invalid OAuth scope or ID token audience provided."};
  }
  const std::string* sub = StrField(claims, "sub");
  if (claims.contains("sub") && (sub == nullptr || sub->empty())) {
    return OAuthError{"invalid_grant", "Invalid JWT: bad sub claim."};
  }
  out->subject = sub ? *sub : *StrField(claims, "iss");
  return std::nullopt;
}

HttpAnswer AuthError(bool missing) {
  nlohmann::ordered_json detail = {
      {"message", missing ? "Login Required." : "Invalid Credentials"},
      {"domain", "global"},
      {"reason", missing ? "required" : "authError"},
      {"location", "Authorization"},
      {"locationType", "header"}};
  std::string message = missing ? "Request is missing required "
                                  "authentication credential."
                                : "Request had invalid authentication "
                                  "credentials.";
  nlohmann::ordered_json body = {
      {"error",
       {{"code", 401},
        {"message", message + kAuthErrorHelp},
        {"errors", nlohmann::ordered_json::array({detail})},
        {"status", "UNAUTHENTICATED"}}}};
  HttpAnswer a;
  a.status = 401;
  a.content_type = "application/json; charset=UTF-8";
  a.body = body.dump(2);  // constant ASCII content: cannot throw
  a.headers["WWW-Authenticate"] =
      missing ? "Bearer realm=\"https://accounts.google.com/\""
              : "Bearer realm=\"https://accounts.google.com/\", "
                "error=\"invalid_token\"";
  return a;
}

}  // namespace

OAuthServer::OAuthServer(OAuthOptions opts, std::function<int64_t()> now_ms,
                         std::function<std::string()> random_token)
    : opts_(std::move(opts)),
      now_ms_(std::move(now_ms)),
      random_token_(std::move(random_token)) {}

// --- authorization endpoint -------------------------------------------------

OAuthServer::HttpAnswer OAuthServer::Authorize(const Params& query) {
  AuthRequest req;
  if (auto bad = CheckAuthClient(query, opts_.client_id, &req)) return *bad;
  if (auto bad = CheckAuthParams(query, &req)) return *bad;
  std::vector<std::pair<std::string, std::string>> params;
  if (const std::string* state = Find(query, "state")) {
    params.emplace_back("state", *state);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (deny_authorization_) {
      params.emplace_back("error", "access_denied");
      return Redirect(AppendQuery(req.redirect_uri, params));
    }
  }
  const int64_t now = now_ms_();
  const std::string code = kCodePrefix + random_token_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    PruneLocked(now);
    if (TokenInUseLocked(code)) return ErrorPage(500, "server_error", "");
    CodeGrant& g = codes_[code];
    g.client_id = req.client_id;
    g.redirect_uri = req.redirect_uri;
    g.scope = req.scope;
    g.challenge = req.challenge;
    g.challenge_s256 = req.s256;
    g.expires_ms = now + opts_.code_lifetime_s * 1000;
  }
  params.emplace_back("code", code);
  params.emplace_back("scope", req.scope);
  std::string location = AppendQuery(req.redirect_uri, params);
  return opts_.show_code_page ? CodePage(code, location) : Redirect(location);
}

// --- token endpoint ---------------------------------------------------------

OAuthServer::HttpAnswer OAuthServer::Token(const Params& form) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (injected_failures_ > 0) {
      --injected_failures_;
      return TokenError(injected_error_, injected_description_);
    }
  }
  const std::string grant = Get(form, "grant_type");
  if (grant.empty()) {
    return TokenError("invalid_request",
                      "Required parameter is missing: grant_type");
  }
  const int64_t now = now_ms_();
  if (grant == "authorization_code") return CodeGrantToken(form, now);
  if (grant == "refresh_token") return RefreshGrantToken(form, now);
  if (grant == kJwtBearerGrant) return JwtGrantToken(form, now);
  return TokenError("unsupported_grant_type", "Invalid grant_type: " + grant);
}

std::optional<OAuthServer::HttpAnswer> OAuthServer::CheckClient(
    const Params& form) const {
  const std::string client_id = Get(form, "client_id");
  if (client_id.empty()) {
    return TokenError("invalid_request",
                      "Could not determine client ID from request.");
  }
  if (!opts_.client_id.empty() && client_id != opts_.client_id) {
    return TokenError("invalid_client", "The OAuth client was not found.");
  }
  if (!opts_.client_secret.empty()) {
    const std::string* secret = Find(form, "client_secret");
    if (secret == nullptr || secret->empty()) {
      return TokenError("invalid_request", "client_secret is missing.");
    }
    if (*secret != opts_.client_secret) {
      return TokenError("invalid_client", "Unauthorized");
    }
  }
  return std::nullopt;
}

OAuthServer::HttpAnswer OAuthServer::CodeGrantToken(const Params& form,
                                                    int64_t now) {
  if (auto bad = CheckClient(form)) return *bad;
  const std::string code = Get(form, "code");
  if (code.empty()) {
    return TokenError("invalid_request", "Missing required parameter: code");
  }
  const std::string redirect_uri = Get(form, "redirect_uri");
  if (redirect_uri.empty()) {
    return TokenError("invalid_request",
                      "Missing required parameter: redirect_uri");
  }
  // Drawn before locking: the random source is a callback.
  const std::string access = kUserAccessPrefix + random_token_();
  const std::string refresh = kRefreshPrefix + random_token_();
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked(now);
  auto it = codes_.find(code);
  if (it == codes_.end()) {
    return TokenError("invalid_grant", "Malformed auth code.");
  }
  CodeGrant& g = it->second;
  if (g.used) {
    // RFC 6749 section 4.1.2: a replayed code revokes what it issued.
    RevokeGrantLocked(g.refresh_token);
    return TokenError("invalid_grant", "Bad Request");
  }
  if (now >= g.expires_ms || Get(form, "client_id") != g.client_id) {
    return TokenError("invalid_grant", "Bad Request");
  }
  if (redirect_uri != g.redirect_uri) {
    return TokenError("redirect_uri_mismatch", "Bad Request");
  }
  // Failed PKCE does not consume the code (nor does any error above).
  if (auto bad = CheckPkce(g.challenge, g.challenge_s256, form)) {
    return TokenError(*bad);
  }
  if (TokenInUseLocked(access) || TokenInUseLocked(refresh) ||
      access == refresh) {
    return CollisionError();
  }
  g.used = true;
  g.refresh_token = refresh;
  refresh_[refresh] = RefreshGrant{g.client_id, g.scope, false};
  access_[access] = AccessGrant{g.scope,
                                g.client_id,
                                "",
                                refresh,
                                now + opts_.access_token_lifetime_s * 1000,
                                false};
  return Success(access, refresh, g.scope);
}

OAuthServer::HttpAnswer OAuthServer::RefreshGrantToken(const Params& form,
                                                       int64_t now) {
  if (auto bad = CheckClient(form)) return *bad;
  const std::string token = Get(form, "refresh_token");
  if (token.empty()) {
    return TokenError("invalid_request",
                      "Missing required parameter: refresh_token");
  }
  const std::string access = kUserAccessPrefix + random_token_();
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked(now);
  auto it = refresh_.find(token);
  if (it == refresh_.end()) return TokenError("invalid_grant", "Bad Request");
  const RefreshGrant& r = it->second;
  if (r.revoked) {
    return TokenError("invalid_grant", "Token has been expired or revoked.");
  }
  if (Get(form, "client_id") != r.client_id) {
    return TokenError("unauthorized_client", "Unauthorized");
  }
  if (TokenInUseLocked(access)) return CollisionError();
  access_[access] = AccessGrant{r.scope,
                                r.client_id,
                                "",
                                token,
                                now + opts_.access_token_lifetime_s * 1000,
                                false};
  return Success(access, "", r.scope);
}

OAuthServer::HttpAnswer OAuthServer::JwtGrantToken(const Params& form,
                                                   int64_t now) {
  const std::string assertion = Get(form, "assertion");
  if (assertion.empty()) {
    return TokenError("invalid_request",
                      "Missing required parameter: assertion");
  }
  if (assertion.size() > kMaxAssertionBytes) {
    return TokenError("invalid_grant", "Invalid JWT: token too large.");
  }
  Result<Jwt> jwt = ParseJwt(assertion);
  if (!jwt.ok()) {
    return TokenError("invalid_grant",
                      "Invalid JWT: " + jwt.status().message() + ".");
  }
  if (auto bad = VerifyJwtSignature(*jwt)) return TokenError(*bad);
  const std::vector<std::string> audiences = opts_.token_audiences.empty()
                                                 ? DefaultAudiences()
                                                 : opts_.token_audiences;
  JwtGrantClaims claims;
  // Floor division: NumericDate is whole seconds.
  int64_t now_s = now >= 0 ? now / 1000 : (now - 999) / 1000;
  if (auto bad = CheckJwtClaims(jwt->claims, now_s, audiences, &claims)) {
    return TokenError(*bad);
  }
  const std::string access = kServiceAccessPrefix + random_token_();
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked(now);
  if (TokenInUseLocked(access)) return CollisionError();
  access_[access] = AccessGrant{claims.scope,
                                "",
                                claims.subject,
                                "",
                                now + opts_.access_token_lifetime_s * 1000,
                                false};
  return Success(access, "", claims.scope);
}

std::optional<OAuthError> OAuthServer::VerifyJwtSignature(
    const Jwt& jwt) const {
  // Only RS256 is accepted: "none" and HMAC algorithms must never verify.
  const std::string* alg = StrField(jwt.header, "alg");
  const std::string* kid = StrField(jwt.header, "kid");
  if (alg == nullptr || *alg != "RS256" ||
      (jwt.header.contains("kid") && kid == nullptr)) {
    return OAuthError{"invalid_grant", kBadJwtSignature};
  }
  const std::string* iss = StrField(jwt.claims, "iss");
  std::vector<RsaKey> candidates;
  bool account_known = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, key] : keys_) {
      if (iss == nullptr || id.first != *iss) continue;
      account_known = true;
      if (kid == nullptr || id.second == *kid) {
        candidates.push_back(key.public_key);
      }
    }
  }
  if (!account_known) {
    return OAuthError{"invalid_grant", "Invalid grant: account not found"};
  }
  // Verified outside the lock: RSA is the expensive part of the grant.
  for (const RsaKey& key : candidates) {
    if (key.VerifyRs256(jwt.signing_input, jwt.signature)) return std::nullopt;
  }
  return OAuthError{"invalid_grant", kBadJwtSignature};
}

OAuthServer::HttpAnswer OAuthServer::Success(const std::string& access_token,
                                             const std::string& refresh_token,
                                             const std::string& scope) const {
  nlohmann::json body = {{"access_token", access_token},
                         {"expires_in", opts_.access_token_lifetime_s},
                         {"scope", scope},
                         {"token_type", "Bearer"}};
  if (!refresh_token.empty()) body["refresh_token"] = refresh_token;
  return JsonAnswer(200, body);
}

// --- revocation and checks --------------------------------------------------

OAuthServer::HttpAnswer OAuthServer::Revoke(std::string_view token) {
  if (token.empty()) {
    return TokenError("invalid_request", "Missing required parameter: token");
  }
  if (IsStatic(token)) return JsonAnswer(200, nlohmann::json::object());
  const int64_t now = now_ms_();
  std::lock_guard<std::mutex> lock(mu_);
  if (auto r = refresh_.find(token);
      r != refresh_.end() && !r->second.revoked) {
    RevokeGrantLocked(r->first);
    return JsonAnswer(200, nlohmann::json::object());
  }
  auto a = access_.find(token);
  if (a != access_.end() && !a->second.revoked && now < a->second.expires_ms) {
    // Google: revoking an access token also revokes its refresh token.
    if (a->second.refresh_token.empty()) {
      a->second.revoked = true;
    } else {
      RevokeGrantLocked(a->second.refresh_token);
    }
    return JsonAnswer(200, nlohmann::json::object());
  }
  return TokenError("invalid_token", "Token expired or revoked");
}

OAuthServer::TokenState OAuthServer::CheckAccessToken(
    std::string_view token) const {
  return LookupAccessToken(token).state;
}

OAuthServer::AccessTokenInfo OAuthServer::LookupAccessToken(
    std::string_view token) const {
  AccessTokenInfo info;
  if (IsStatic(token)) {
    info.state = TokenState::kValid;
    info.scope = opts_.scope_default;
    return info;
  }
  const int64_t now = now_ms_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = access_.find(token);
  if (it == access_.end()) return info;
  const AccessGrant& g = it->second;
  info.state = g.revoked             ? TokenState::kRevoked
               : now >= g.expires_ms ? TokenState::kExpired
                                     : TokenState::kValid;
  info.scope = g.scope;
  info.client_id = g.client_id;
  info.subject = g.subject;
  info.expires_ms = g.expires_ms;
  return info;
}

std::optional<OAuthServer::HttpAnswer> OAuthServer::Authenticate(
    std::string_view header) const {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    }
    return s;
  };
  header = trim(header);
  if (header.empty()) return AuthError(/*missing=*/true);
  size_t space = header.find(' ');
  std::string scheme(header.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(c));
  std::string_view token =
      space == std::string_view::npos ? "" : trim(header.substr(space + 1));
  if (scheme != "bearer" || token.empty() ||
      CheckAccessToken(token) != TokenState::kValid) {
    return AuthError(/*missing=*/false);
  }
  return std::nullopt;
}

void OAuthServer::RevokeAccessToken(std::string_view token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = access_.find(token); it != access_.end()) {
    it->second.revoked = true;
  }
}

void OAuthServer::FailNextTokenRequestsForTest(int count, std::string error,
                                               std::string description) {
  std::lock_guard<std::mutex> lock(mu_);
  injected_failures_ = count;
  injected_error_ = std::move(error);
  injected_description_ = std::move(description);
}

void OAuthServer::DenyAuthorizationForTest(bool deny) {
  std::lock_guard<std::mutex> lock(mu_);
  deny_authorization_ = deny;
}

void OAuthServer::RevokeGrantLocked(const std::string& refresh_token) {
  if (refresh_token.empty()) return;
  if (auto it = refresh_.find(refresh_token); it != refresh_.end()) {
    it->second.revoked = true;
  }
  for (auto& [token, grant] : access_) {
    if (grant.refresh_token == refresh_token) grant.revoked = true;
  }
}

void OAuthServer::PruneLocked(int64_t now) {
  for (auto it = codes_.begin(); it != codes_.end();) {
    int64_t keep = it->second.used ? kUsedCodeRetentionMs : kExpiredRetentionMs;
    it = now >= it->second.expires_ms + keep ? codes_.erase(it) : std::next(it);
  }
  for (auto it = access_.begin(); it != access_.end();) {
    bool stale = now >= it->second.expires_ms + kExpiredRetentionMs;
    it = stale ? access_.erase(it) : std::next(it);
  }
}

bool OAuthServer::TokenInUseLocked(const std::string& token) const {
  return codes_.count(token) || refresh_.count(token) || access_.count(token) ||
         IsStatic(token);
}

bool OAuthServer::IsStatic(std::string_view token) const {
  for (const auto& t : opts_.static_tokens) {
    if (t == token) return true;
  }
  return false;
}

// --- service accounts -------------------------------------------------------

Status OAuthServer::AddServiceAccount(const nlohmann::json& key_file) {
  if (!key_file.is_object()) {
    return InvalidArgumentError("service-account key file must be an object");
  }
  if (key_file.contains("type") &&
      (StrField(key_file, "type") == nullptr ||
       *StrField(key_file, "type") != "service_account")) {
    return InvalidArgumentError("key file type is not \"service_account\"");
  }
  const std::string* email = StrField(key_file, "client_email");
  const std::string* kid = StrField(key_file, "private_key_id");
  const std::string* pem = StrField(key_file, "private_key");
  if (!email || email->empty() || !kid || kid->empty() || !pem) {
    return InvalidArgumentError(
        "key file needs client_email, private_key_id and private_key");
  }
  Result<RsaKey> key = RsaKey::FromPrivatePem(*pem);
  if (!key.ok()) {
    return InvalidArgumentError("private_key: " + key.status().message());
  }
  // Keep only the public half.
  Result<std::string> public_pem = key->PublicPem();
  if (!public_pem.ok()) return public_pem.status();
  Result<RsaKey> public_key = RsaKey::FromPublicPem(*public_pem);
  if (!public_key.ok()) return public_key.status();
  std::lock_guard<std::mutex> lock(mu_);
  keys_[{*email, *kid}] = ServiceAccountKey{*email, *kid, *public_key};
  return Status::Ok();
}

Result<nlohmann::json> OAuthServer::CreateServiceAccount(
    const std::string& email, const std::string& token_uri) {
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == email.size()) {
    return InvalidArgumentError("service-account email needs a domain");
  }
  Result<RsaKey> key = RsaKey::Generate();
  if (!key.ok()) return key.status();
  Result<std::string> der = key->PublicDer();
  Result<std::string> pem = key->PrivatePem();
  if (!der.ok()) return der.status();
  if (!pem.ok()) return pem.status();
  // Ids are derived from the key so they are stable and need no randomness.
  const std::string digest = Sha256(*der);
  const std::string key_id = HexEncode(digest.substr(0, 20));
  std::string client_id = "1";
  for (char c : Sha256(*der + "client_id").substr(0, 20)) {
    client_id += static_cast<char>('0' + static_cast<uint8_t>(c) % 10);
  }
  constexpr std::string_view kSaDomain = ".iam.gserviceaccount.com";
  std::string domain = email.substr(at + 1);
  std::string project = "emulator";
  if (domain.size() > kSaDomain.size() &&
      domain.compare(domain.size() - kSaDomain.size(), kSaDomain.size(),
                     kSaDomain) == 0) {
    project = domain.substr(0, domain.size() - kSaDomain.size());
  }
  nlohmann::json file = {
      {"type", "service_account"},
      {"project_id", project},
      {"private_key_id", key_id},
      {"private_key", *pem},
      {"client_email", email},
      {"client_id", client_id},
      {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
      {"token_uri", token_uri},
      {"auth_provider_x509_cert_url",
       "https://www.googleapis.com/oauth2/v1/certs"},
      {"client_x509_cert_url",
       "https://www.googleapis.com/robot/v1/metadata/x509/" +
           PercentEncode(email, "")},
      {"universe_domain", "googleapis.com"}};
  if (Status s = AddServiceAccount(file); !s.ok()) return s;
  return file;
}

// --- persistence ------------------------------------------------------------

nlohmann::json OAuthServer::Snapshot() const {
  const int64_t now = now_ms_();
  nlohmann::json refresh = nlohmann::json::array();
  nlohmann::json access = nlohmann::json::array();
  nlohmann::json accounts = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [token, r] : refresh_) {
    if (r.revoked) continue;
    refresh.push_back(
        {{"token", token}, {"client_id", r.client_id}, {"scope", r.scope}});
  }
  for (const auto& [token, a] : access_) {
    if (a.revoked || now >= a.expires_ms) continue;
    access.push_back({{"token", token},
                      {"scope", a.scope},
                      {"client_id", a.client_id},
                      {"subject", a.subject},
                      {"refresh_token", a.refresh_token},
                      {"expires_ms", a.expires_ms}});
  }
  for (const auto& [id, key] : keys_) {
    Result<std::string> pem = key.public_key.PublicPem();
    if (!pem.ok()) continue;  // cannot happen for a parsed key
    accounts.push_back({{"client_email", key.email},
                        {"private_key_id", key.key_id},
                        {"public_key", *pem}});
  }
  return {{"version", kSnapshotVersion},
          {"refresh_tokens", std::move(refresh)},
          {"access_tokens", std::move(access)},
          {"service_accounts", std::move(accounts)}};
}

Status OAuthServer::Restore(const nlohmann::json& snapshot) {
  if (IntField(snapshot, "version", 1000) != kSnapshotVersion) {
    return InvalidArgumentError("OAuth snapshot: unsupported version");
  }
  auto array = [&](const char* key) -> const nlohmann::json* {
    auto it = snapshot.find(key);
    return it != snapshot.end() && it->is_array() ? &*it : nullptr;
  };
  const nlohmann::json* refresh = array("refresh_tokens");
  const nlohmann::json* access = array("access_tokens");
  const nlohmann::json* accounts = array("service_accounts");
  if (!refresh || !access || !accounts) {
    return InvalidArgumentError("OAuth snapshot: missing arrays");
  }
  RefreshMap new_refresh;
  AccessMap new_access;
  std::vector<ServiceAccountKey> new_keys;
  if (Status s = ParseRefreshTokens(*refresh, &new_refresh); !s.ok()) return s;
  if (Status s = ParseAccessTokens(*access, new_refresh, &new_access);
      !s.ok()) {
    return s;
  }
  if (Status s = ParseServiceAccounts(*accounts, &new_keys); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [t, r] : new_refresh) refresh_[t] = std::move(r);
  for (auto& [t, a] : new_access) access_[t] = std::move(a);
  for (auto& k : new_keys) keys_[{k.email, k.key_id}] = std::move(k);
  return Status::Ok();
}

Status OAuthServer::ParseRefreshTokens(const nlohmann::json& list,
                                       RefreshMap* out) {
  for (const auto& r : list) {
    const std::string* token = StrField(r, "token");
    const std::string* client = StrField(r, "client_id");
    const std::string* scope = StrField(r, "scope");
    if (!token || token->empty() || !client || !scope) {
      return InvalidArgumentError("OAuth snapshot: bad refresh token entry");
    }
    (*out)[*token] = RefreshGrant{*client, *scope, false};
  }
  return Status::Ok();
}

Status OAuthServer::ParseAccessTokens(const nlohmann::json& list,
                                      const RefreshMap& parents,
                                      AccessMap* out) {
  for (const auto& a : list) {
    const std::string* token = StrField(a, "token");
    const std::string* scope = StrField(a, "scope");
    const std::string* client = StrField(a, "client_id");
    const std::string* subject = StrField(a, "subject");
    const std::string* parent = StrField(a, "refresh_token");
    std::optional<int64_t> expires =
        IntField(a, "expires_ms", std::numeric_limits<int64_t>::max() / 2);
    // The parent must be restored too, or revocation could not reach it.
    if (!token || token->empty() || !scope || !client || !subject || !parent ||
        !expires || (!parent->empty() && !parents.count(*parent))) {
      return InvalidArgumentError("OAuth snapshot: bad access token entry");
    }
    (*out)[*token] =
        AccessGrant{*scope, *client, *subject, *parent, *expires, false};
  }
  return Status::Ok();
}

Status OAuthServer::ParseServiceAccounts(const nlohmann::json& list,
                                         std::vector<ServiceAccountKey>* out) {
  for (const auto& s : list) {
    const std::string* email = StrField(s, "client_email");
    const std::string* kid = StrField(s, "private_key_id");
    const std::string* pem = StrField(s, "public_key");
    if (!email || email->empty() || !kid || kid->empty() || !pem) {
      return InvalidArgumentError("OAuth snapshot: bad service account entry");
    }
    Result<RsaKey> key = RsaKey::FromPublicPem(*pem);
    if (!key.ok()) {
      return InvalidArgumentError("OAuth snapshot: " + key.status().message());
    }
    out->push_back(ServiceAccountKey{*email, *kid, *key});
  }
  return Status::Ok();
}

}  // namespace gdmount::emulator
