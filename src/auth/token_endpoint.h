// The OAuth 2.0 token endpoint (protocol guide sections 12.1 and 12.2):
// the three grants gdmount uses, as one POST each through HttpTransport.
//
// Requests are application/x-www-form-urlencoded with log_name
// "oauth.token"; nothing here retries (DriveClient's retry loop, or the
// user at the `gdmount auth` prompt, decides). Error mapping, shared by all
// three grants:
//   invalid_grant          -> Unauthenticated, message specific to the grant
//                             (code expired/used/PKCE mismatch; refresh
//                             token revoked or expired: "run `gdmount
//                             auth`"; JWT signature/clock problem)
//   invalid_client         -> Unauthenticated ("the OAuth client id/secret
//                             was rejected")
//   other 4xx              -> InvalidArgument (error + error_description)
//   429, 5xx, transport    -> Unavailable (retryable; retry-after kept)
//   2xx without a usable access_token -> Unavailable("malformed token
//                             response")
// A URL refused by the transport's policy stays InvalidArgument. Messages
// carry the server's error code and description but never a token, code,
// secret, verifier or assertion. HTTP statuses are kept on the Status.
//
// Thread safety: thread-safe (HttpTransport is).
#pragma once

#include <cstdint>
#include <string>

#include "auth/oauth_client.h"
#include "gdmount/http_transport.h"
#include "gdmount/result.h"

namespace gdmount::auth {

struct TokenGrant {
  std::string access_token;
  std::string refresh_token;  // empty unless the server issued one
  std::string scope;          // granted scopes, space-separated; may be empty
  std::string token_type;     // "Bearer"
  int64_t expires_in_s = 0;   // lifetime from the time of the request
};

// grant_type=authorization_code with the PKCE verifier; `redirect_uri`
// must be the one in the authorization request. When the server reports
// the granted scope, every scope in client.scope must be in it (granular
// consent lets the user untick Drive access): else PermissionDenied
// ("you did not grant access to ... tick the checkbox").
Result<TokenGrant> ExchangeCode(HttpTransport& http,
                                const std::string& token_url,
                                const OAuthClient& client,
                                const std::string& code,
                                const std::string& redirect_uri,
                                const std::string& verifier);

// grant_type=refresh_token. The result normally has no refresh_token: the
// caller keeps the old one. A refresh cannot widen or narrow the grant, so
// the scope is not re-checked here.
Result<TokenGrant> RefreshAccessToken(HttpTransport& http,
                                      const std::string& token_url,
                                      const OAuthClient& client,
                                      const std::string& refresh_token);

// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with a signed
// assertion (service_account.h). No refresh token is ever issued.
Result<TokenGrant> ExchangeJwtAssertion(HttpTransport& http,
                                        const std::string& token_url,
                                        const std::string& assertion);

}  // namespace gdmount::auth
