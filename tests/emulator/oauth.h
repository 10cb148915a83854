// The emulator's OAuth 2.0 server: Google's authorization endpoint
// (/o/oauth2/v2/auth), token endpoint (/token), revocation endpoint
// (/revoke) and the bearer-token check behind every Drive call.
//
// Design note. The class is HTTP-agnostic: the router decodes the query or
// form into a map and sends back the HttpAnswer verbatim. Grants modelled
// (protocol guide section 12):
//   * authorization_code with PKCE (S256 or plain) and loopback redirect
//     URIs only; OOB URIs get Google's "OOB flow has been blocked" page.
//     Authorization is auto-approved (no user, no consent screen).
//   * refresh_token: a new access token, never a new refresh token.
//   * JWT bearer (RFC 7523) for service accounts: RS256 assertions signed
//     with a registered key (AddServiceAccount / CreateServiceAccount).
// State: codes (single-use; a reused code revokes everything issued from
// it, RFC 6749 section 4.1.2), refresh tokens, access tokens (each with an
// optional parent refresh token) and service-account public keys.
// Invariants: an access token's parent refresh token, if any, exists; a
// revoked refresh token's access tokens are revoked too. Token strings look
// like Google's ("4/0A..." codes, "1//0..." refresh tokens, "ya29...."
// access tokens) with the injected random string as the unique part.
// Static tokens from OAuthOptions are always valid and are never revoked.
// Error bodies copy Google's wording where it is known; codes and statuses
// follow RFC 6749 section 5.2 (invalid_client is 401, all others 400).
//
// Secrets (tokens, codes, verifiers, keys) are never logged; Snapshot()
// contains tokens because persisting them is its purpose, but never a
// private key.
//
// Thread safety: thread-safe; one internal mutex guards all state. The
// injected clock and random functions are called without the mutex held
// and must themselves be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gdmount/result.h"
#include "gdmount/status.h"
#include "tests/emulator/jwt.h"

namespace gdmount::emulator {

// Google's token endpoint, the usual JWT `aud`.
inline constexpr const char* kGoogleTokenUri =
    "https://oauth2.googleapis.com/token";
inline constexpr const char* kJwtBearerGrant =
    "urn:ietf:params:oauth:grant-type:jwt-bearer";

// An RFC 6749 section 5.2 error: the "error" code and its description.
struct OAuthError {
  std::string error;        // e.g. "invalid_grant"
  std::string description;  // "error_description", Google's wording
};

struct OAuthOptions {
  int64_t access_token_lifetime_s = 3599;
  int64_t code_lifetime_s = 600;
  std::string client_id;      // empty: any non-empty client_id accepted
  std::string client_secret;  // empty: not checked
  // Bearer tokens that are always valid (tests, demo). Their scope is
  // scope_default.
  std::vector<std::string> static_tokens;
  // JWT `aud` values accepted, e.g. kGoogleTokenUri and the emulator's own
  // /token URL. Empty: Google's three token URIs (oauth2.googleapis.com,
  // accounts.google.com/o/oauth2/token, www.googleapis.com/oauth2/v4/token).
  std::vector<std::string> token_audiences;
  std::string scope_default = "https://www.googleapis.com/auth/drive";
  // Authorize answers 200 with an HTML page showing the code instead of 302
  // (for manual copy-paste).
  bool show_code_page = false;
};

class OAuthServer {
 public:
  // now_ms: wall-clock milliseconds since the Unix epoch (JWT iat/exp are
  // compared with it). random_token: a fresh URL-safe random string per
  // call ([A-Za-z0-9-_], at least ~20 characters for realistic tokens).
  OAuthServer(OAuthOptions opts, std::function<int64_t()> now_ms,
              std::function<std::string()> random_token);

  OAuthServer(const OAuthServer&) = delete;
  OAuthServer& operator=(const OAuthServer&) = delete;

  struct HttpAnswer {
    int status = 200;
    std::string content_type;
    std::string body;
    std::map<std::string, std::string> headers;  // besides Content-Type
  };

  // GET /o/oauth2/v2/auth with the decoded query parameters.
  // Checks, in this order: client_id (missing: 400 invalid_request;
  // not the configured one: 401 invalid_client "The OAuth client was not
  // found."), redirect_uri (OOB URIs: 400 invalid_request "The out-of-band
  // (OOB) flow has been blocked..."; anything but http://127.0.0.1[:P],
  // http://[::1][:P] or http://localhost[:P] with optional path and query:
  // 400 redirect_uri_mismatch), response_type (must be "code"), scope
  // (required), code_challenge_method (S256, plain, or absent = plain when
  // a challenge is given), code_challenge (RFC 7636 syntax; exactly 43
  // base64url characters for S256), access_type (online|offline).
  // Like Google, every validation error is an HTML error page shown in the
  // browser (text/html), not a redirect; only a denial
  // (DenyAuthorizationForTest) redirects with error=access_denied.
  // On success: 302 with Location: redirect_uri + state (only if sent),
  // code and scope, percent-encoded and appended to any query already in
  // redirect_uri; or, with show_code_page, 200 and a page showing the code.
  HttpAnswer Authorize(const std::map<std::string, std::string>& query);

  // POST /token with the decoded form fields. The router should also map
  // HTTP Basic client credentials to client_id/client_secret fields.
  // Grants: authorization_code, refresh_token, and kJwtBearerGrant (see the
  // design note). Success: 200 {"access_token","expires_in","scope",
  // "token_type":"Bearer"} plus "refresh_token" for authorization_code.
  // Errors: {"error","error_description"} with invalid_request (missing
  // parameter), invalid_client (401), invalid_grant (bad/expired/used code,
  // PKCE failure, unknown/revoked refresh token, any JWT problem),
  // redirect_uri_mismatch (code exchanged with another redirect_uri, as
  // Google answers), unauthorized_client (refresh token of another client),
  // invalid_scope (JWT without scope), unsupported_grant_type.
  // Always Content-Type application/json; charset=utf-8 and
  // Cache-Control: no-store.
  HttpAnswer Token(const std::map<std::string, std::string>& form);

  // POST /revoke?token=... An access token or a refresh token; as Google
  // documents, revoking either revokes the whole grant (the refresh token
  // and every access token minted from it). A static token answers 200 and
  // stays valid. Unknown, expired or already revoked: 400
  // {"error":"invalid_token"}; an empty token: 400 invalid_request.
  HttpAnswer Revoke(std::string_view token);

  enum class TokenState { kValid, kExpired, kUnknown, kRevoked };

  struct AccessTokenInfo {
    TokenState state = TokenState::kUnknown;
    std::string scope;       // space-separated granted scopes
    std::string client_id;   // code/refresh grants; empty for JWT and static
    std::string subject;     // JWT `sub` or `iss`; empty for user grants
    int64_t expires_ms = 0;  // 0 for static tokens (never expire)
  };

  TokenState CheckAccessToken(std::string_view token) const;
  AccessTokenInfo LookupAccessToken(std::string_view token) const;

  // Checks an Authorization header value ("Bearer <token>", scheme
  // case-insensitive). nullopt when the token is valid; otherwise the 401
  // answer Google's APIs give (protocol guide section 10.2): reason
  // "required" ("Login Required.") when no credentials were sent, reason
  // "authError" ("Invalid Credentials") otherwise, with WWW-Authenticate.
  std::optional<HttpAnswer> Authenticate(
      std::string_view authorization_header) const;

  // Fault injection: "token revoked". Only this access token is revoked, so
  // the client can still refresh. Static tokens stay valid. No-op for
  // unknown tokens.
  void RevokeAccessToken(std::string_view token);

  // Also accepts `audience` as a JWT `aud` (the emulator's own /token URL,
  // known once it listens). Call before serving: not synchronized with
  // Token().
  void AddTokenAudience(const std::string& audience);

  // Fault injection: the next `count` Token calls fail with this error
  // (before any validation, consuming nothing). invalid_client answers 401,
  // everything else 400.
  void FailNextTokenRequestsForTest(int count, std::string error,
                                    std::string description);

  // Fault injection: while true, Authorize redirects valid requests with
  // error=access_denied (the user clicked "Cancel").
  void DenyAuthorizationForTest(bool deny);

  // Registers the key a service account's JWTs must be signed with, from
  // Google's key-file JSON: client_email, private_key_id and private_key
  // (PKCS#8 PEM); only the derived public key is kept. An account may hold
  // several keys; re-adding a private_key_id replaces that key.
  // Returns InvalidArgument for a missing/ill-typed field, a "type" other
  // than "service_account", or a key that is not RSA >= 2048 bits.
  Status AddServiceAccount(const nlohmann::json& key_file);

  // Creates a service account with a new RSA 2048 key, registers it, and
  // returns Google's key-file JSON: type "service_account", project_id
  // (from "name@<project>.iam.gserviceaccount.com", else "emulator"),
  // private_key_id (40 hex digits derived from the public key), private_key
  // (PKCS#8 PEM), client_email, client_id (21 digits derived from the key),
  // auth_uri, token_uri (as given), auth_provider_x509_cert_url,
  // client_x509_cert_url, universe_domain.
  // Returns InvalidArgument if email has no '@', Internal on crypto failure.
  Result<nlohmann::json> CreateServiceAccount(const std::string& email,
                                              const std::string& token_uri);

  // Persistence across emulator restarts: live refresh tokens, unexpired
  // unrevoked access tokens and service-account public keys (never private
  // keys). Authorization codes are short-lived and not persisted.
  nlohmann::json Snapshot() const;

  // Adds the state in a Snapshot() (meant for a freshly constructed
  // server; entries with the same token or key id are overwritten).
  // All-or-nothing: returns InvalidArgument, and changes nothing, if the
  // snapshot is malformed or a public key does not parse.
  Status Restore(const nlohmann::json& snapshot);

 private:
  struct CodeGrant {
    std::string client_id;
    std::string redirect_uri;
    std::string scope;
    std::string challenge;  // empty: no PKCE
    bool challenge_s256 = false;
    int64_t expires_ms = 0;
    bool used = false;
    std::string refresh_token;  // issued on first use
  };
  struct RefreshGrant {
    std::string client_id;
    std::string scope;
    bool revoked = false;
  };
  struct AccessGrant {
    std::string scope;
    std::string client_id;
    std::string subject;
    std::string refresh_token;  // parent; empty for JWT grants
    int64_t expires_ms = 0;
    bool revoked = false;
  };
  struct ServiceAccountKey {
    std::string email;
    std::string key_id;
    RsaKey public_key;
  };
  using RefreshMap = std::map<std::string, RefreshGrant, std::less<>>;
  using AccessMap = std::map<std::string, AccessGrant, std::less<>>;

  HttpAnswer CodeGrantToken(const std::map<std::string, std::string>& form,
                            int64_t now);
  HttpAnswer RefreshGrantToken(const std::map<std::string, std::string>& form,
                               int64_t now);
  HttpAnswer JwtGrantToken(const std::map<std::string, std::string>& form,
                           int64_t now);
  // Checks alg, kid, iss and the RS256 signature against the registered
  // keys; nullopt when the signature is good.
  std::optional<OAuthError> VerifyJwtSignature(const Jwt& jwt) const;
  // Client authentication shared by the code and refresh grants; nullopt
  // when the client is acceptable.
  std::optional<HttpAnswer> CheckClient(
      const std::map<std::string, std::string>& form) const;
  HttpAnswer Success(const std::string& access_token,
                     const std::string& refresh_token,
                     const std::string& scope) const;
  // Restore() parsing, into temporaries so that failure changes nothing.
  // Each returns InvalidArgument for a malformed entry.
  static Status ParseRefreshTokens(const nlohmann::json& list, RefreshMap* out);
  static Status ParseAccessTokens(const nlohmann::json& list,
                                  const RefreshMap& parents, AccessMap* out);
  static Status ParseServiceAccounts(const nlohmann::json& list,
                                     std::vector<ServiceAccountKey>* out);
  // REQUIRES: mu_ held.
  void RevokeGrantLocked(const std::string& refresh_token);
  void PruneLocked(int64_t now);
  bool TokenInUseLocked(const std::string& token) const;
  bool IsStatic(std::string_view token) const;

  OAuthOptions opts_;  // token_audiences grows via AddTokenAudience
  const std::function<int64_t()> now_ms_;
  const std::function<std::string()> random_token_;

  mutable std::mutex mu_;
  // All members below are guarded by mu_.
  std::map<std::string, CodeGrant, std::less<>> codes_;
  RefreshMap refresh_;
  AccessMap access_;
  // Keyed by (client_email, private_key_id).
  std::map<std::pair<std::string, std::string>, ServiceAccountKey> keys_;
  int injected_failures_ = 0;
  std::string injected_error_;
  std::string injected_description_;
  bool deny_authorization_ = false;
};

}  // namespace gdmount::emulator
