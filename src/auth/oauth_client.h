// The browser half of the installed-app flow (protocol guide section 12.1):
// building the authorization URL, and getting the authorization code back
// out of whatever the user pasted or the loopback listener received.
//
// Every function here is pure (no I/O) and thread-safe. Codes, verifiers
// and client secrets are secrets: they never appear in returned messages.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "gdmount/random.h"
#include "gdmount/result.h"

namespace gdmount::auth {

// Full read/write Drive access: what a general-purpose mount needs.
inline constexpr const char* kDriveScope =
    "https://www.googleapis.com/auth/drive";

struct OAuthEndpoints {
  std::string auth_url;    // where the browser goes
  std::string token_url;   // code/refresh/JWT grants (POST)
  std::string revoke_url;  // POST ?token=...
};

// Google's production endpoints.
OAuthEndpoints GoogleOAuthEndpoints();

// A "Desktop app" OAuth client. Its secret is not confidential in an
// installed app, but is still never logged.
struct OAuthClient {
  std::string client_id;
  std::string client_secret;
  std::string scope = kDriveScope;  // space-separated if several
};

// One sign-in attempt. `verifier` and `state` are secrets the caller keeps
// until the code comes back; `url` is what the user opens.
struct AuthorizationRequest {
  std::string url;
  std::string state;     // 32 random unreserved characters (CSRF check)
  std::string verifier;  // PKCE verifier for the token exchange
  std::string redirect_uri;
};

// Builds the authorization URL with client_id, redirect_uri,
// response_type=code, scope, access_type=offline (ask for a refresh
// token), prompt=consent (so a refresh token is issued again on re-auth),
// code_challenge + code_challenge_method=S256, and state. `random` supplies
// state and verifier: pass SecureRandom() outside tests.
AuthorizationRequest BuildAuthorizationRequest(const OAuthEndpoints& endpoints,
                                               const OAuthClient& client,
                                               const std::string& redirect_uri,
                                               RandomSource& random);

// The code in a decoded redirect query (loopback listener or pasted URL).
// `state` is checked first: a redirect from another attempt is rejected
// whatever else it says. Errors: InvalidArgument for a missing or foreign
// `state` ("state mismatch: ..."); PermissionDenied for
// error=access_denied (the user clicked Cancel); InvalidArgument for any
// other error=..., or a missing or implausible code.
Result<std::string> CodeFromRedirectQuery(
    const std::map<std::string, std::string>& query,
    std::string_view expected_state);

// What the user pasted after approving access in a browser, which is one
// of: the bare code ("4/0AbC..."; whitespace, newlines and quotes around it
// are trimmed; a percent-encoded "4%2F0AbC" is decoded); the redirected URL
// "http://127.0.0.1:PORT/?state=..&code=..&scope=.." (or localhost, or
// without "http://"); or just its query, with or without the leading '?'.
// For a URL or query, `state` must equal expected_state; the code is
// percent-decoded. Returns the code.
// Errors: InvalidArgument for empty input, a state mismatch, a URL without
// a code, an undecodable query, or text that does not look like a code;
// PermissionDenied for error=access_denied. Messages say what to do.
Result<std::string> ExtractAuthorizationCode(std::string_view pasted,
                                             std::string_view expected_state);

}  // namespace gdmount::auth
