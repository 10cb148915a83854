// The sign-in flows `gdmount auth` runs. Each returns credentials for the
// caller to save with TokenStore::Save; none saves anything itself.
//
// User flows (protocol guide section 12.1; OOB is gone, so both use a
// loopback redirect_uri):
//   * SignInWithLoopback: a browser on this machine comes back to our
//     LoopbackReceiver.
//   * SignInHeadless: no listener; the user opens the URL anywhere, the
//     browser fails to load http://127.0.0.1:PORT/?...&code=..., and the
//     user pastes that address (or the bare code) back.
// Both print the authorization URL on a line of its own (for copying), use
// PKCE and a random `state`, and exchange the code with the same
// redirect_uri and verifier. The verifier, state and code are never printed
// or logged.
//
// Thread safety: each call is independent; the streams must not be shared
// with other threads during the call.
#pragma once

#include <chrono>
#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "auth/oauth_client.h"
#include "auth/token_store.h"
#include "gdmount/clock.h"
#include "gdmount/http_transport.h"
#include "gdmount/random.h"
#include "gdmount/result.h"

namespace gdmount::auth {

// Malformed pastes tolerated before SignInHeadless gives up.
inline constexpr int kMaxPasteAttempts = 3;

// Prints instructions, the URL, and "Paste the code or the whole
// redirected URL here: ", then reads one line from `in`. The redirect_uri
// is http://127.0.0.1:<random port in 1024..65535>/ (nothing listens).
// A malformed paste or a URL from another attempt prints the problem and
// asks again, up to kMaxPasteAttempts times.
// Returns type authorized_user credentials with expiry_ms = now +
// expires_in. Errors: Cancelled "sign-in cancelled (no input)" on EOF;
// InvalidArgument after kMaxPasteAttempts bad pastes; PermissionDenied if
// access was denied in the browser or Drive access was not granted; the
// token endpoint's errors (token_endpoint.h).
Result<StoredCredentials> SignInHeadless(HttpTransport& http, Clock& clock,
                                         const OAuthEndpoints& endpoints,
                                         const OAuthClient& client,
                                         std::istream& in, std::ostream& out,
                                         RandomSource& random);

// Starts a LoopbackReceiver, prints the URL (and passes it to
// `open_browser` when non-null, e.g. to run xdg-open), waits up to
// `timeout` (real time: `clock` only dates the token) for the redirect,
// checks `state`, and exchanges the code.
// Errors: Io if the listener cannot start; Cancelled on timeout;
// PermissionDenied / InvalidArgument for a denied or foreign redirect; the
// token endpoint's errors.
Result<StoredCredentials> SignInWithLoopback(
    HttpTransport& http, Clock& clock, const OAuthEndpoints& endpoints,
    const OAuthClient& client, std::ostream& out, RandomSource& random,
    std::chrono::milliseconds timeout,
    std::function<void(const std::string& url)> open_browser);

// Reads the key file, proves it works by minting one access token, and
// returns type service_account credentials: key_file (absolute path),
// subject, scope (kDriveScope when empty) and token_url (as given; empty
// means the key file's token_uri). No secret is copied.
// Errors: the key file's (service_account.h: ReadServiceAccountKeyFile),
// then the token endpoint's.
Result<StoredCredentials> SignInServiceAccount(HttpTransport& http,
                                               Clock& clock,
                                               const std::string& key_file_path,
                                               const std::string& subject,
                                               const std::string& scope,
                                               const std::string& token_url);

}  // namespace gdmount::auth
