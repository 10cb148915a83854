#include "auth/sign_in.h"

#include <filesystem>
#include <string>
#include <utility>

#include "auth/loopback_receiver.h"
#include "auth/service_account.h"
#include "auth/token_endpoint.h"
#include "gdmount/log.h"

namespace gdmount::auth {
namespace {

// Unprivileged ports. Nothing listens in the headless flow; the port only
// makes the redirect URL look like the loopback URL Google expects.
constexpr uint64_t kMinPort = 1024;
constexpr uint64_t kMaxPort = 65535;

constexpr const char* kPastePrompt =
    "Paste the code or the whole redirected URL here: ";

int64_t UnixMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             t.time_since_epoch())
      .count();
}

// Exchanges the code and turns the grant into storable credentials.
Result<StoredCredentials> FinishUserSignIn(HttpTransport& http, Clock& clock,
                                           const OAuthEndpoints& endpoints,
                                           const OAuthClient& client,
                                           const std::string& code,
                                           const AuthorizationRequest& req) {
  const auto start = clock.SystemNow();
  Result<TokenGrant> grant = ExchangeCode(http, endpoints.token_url, client,
                                          code, req.redirect_uri, req.verifier);
  if (!grant.ok()) return grant.status();
  if (grant->refresh_token.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "Google issued no refresh token: remove gdmount's access at "
                  "https://myaccount.google.com/permissions and run `gdmount "
                  "auth` again");
  }
  StoredCredentials c;
  c.type = kAuthorizedUser;
  c.client_id = client.client_id;
  c.client_secret = client.client_secret;
  c.refresh_token = grant->refresh_token;
  c.access_token = grant->access_token;
  c.scope = client.scope;
  c.token_url = endpoints.token_url;
  c.expiry_ms = UnixMs(start + std::chrono::seconds(grant->expires_in_s));
  GDMOUNT_LOG(kDebug) << "signed in; access token valid for "
                      << grant->expires_in_s << " s";
  return c;
}

// Reads pastes until one yields a code, the input ends, or too many fail.
Result<std::string> ReadPastedCode(std::istream& in, std::ostream& out,
                                   const std::string& state) {
  Status last;
  for (int attempt = 0; attempt < kMaxPasteAttempts; ++attempt) {
    out << kPastePrompt << std::flush;
    std::string line;
    if (!std::getline(in, line)) {
      out << "\n";
      return Status(StatusCode::kCancelled, "sign-in cancelled (no input)");
    }
    Result<std::string> code = ExtractAuthorizationCode(line, state);
    if (code.ok()) return code;
    last = code.status();
    // Denial is the user's answer; asking again would not change it.
    if (last.code() == StatusCode::kPermissionDenied) return last;
    out << "\n" << last.message() << "\n\n";
  }
  return InvalidArgumentError(last.message() + " (gave up after " +
                              std::to_string(kMaxPasteAttempts) +
                              " attempts; run `gdmount auth` again)");
}

}  // namespace

Result<StoredCredentials> SignInHeadless(HttpTransport& http, Clock& clock,
                                         const OAuthEndpoints& endpoints,
                                         const OAuthClient& client,
                                         std::istream& in, std::ostream& out,
                                         RandomSource& random) {
  const uint64_t port = kMinPort + random.Next64() % (kMaxPort - kMinPort + 1);
  const std::string redirect_uri =
      "http://127.0.0.1:" + std::to_string(port) + "/";
  AuthorizationRequest req =
      BuildAuthorizationRequest(endpoints, client, redirect_uri, random);
  out << "To sign in, open this URL in a browser on any computer:\n\n"
      << req.url << "\n\n"
      << "After you approve access, the browser is sent to " << redirect_uri
      << " and shows an error\n"
      << "page; that is expected. Copy the whole address from the browser's "
         "address bar.\n\n";
  Result<std::string> code = ReadPastedCode(in, out, req.state);
  if (!code.ok()) return code.status();
  return FinishUserSignIn(http, clock, endpoints, client, *code, req);
}

Result<StoredCredentials> SignInWithLoopback(
    HttpTransport& http, Clock& clock, const OAuthEndpoints& endpoints,
    const OAuthClient& client, std::ostream& out, RandomSource& random,
    std::chrono::milliseconds timeout,
    std::function<void(const std::string& url)> open_browser) {
  // Waiting for a person's browser is real time, whatever `clock` is.
  Result<std::unique_ptr<LoopbackReceiver>> receiver =
      LoopbackReceiver::Start(*RealClock());
  if (!receiver.ok()) return receiver.status();
  AuthorizationRequest req = BuildAuthorizationRequest(
      endpoints, client, (*receiver)->redirect_uri(), random);
  out << (open_browser ? "Opening a browser to sign in. If it does not open, "
                         "visit this URL on this computer:\n\n"
                       : "To sign in, open this URL in a browser on this "
                         "computer:\n\n")
      << req.url << "\n\nWaiting for the browser...\n"
      << std::flush;
  if (open_browser) open_browser(req.url);
  Result<std::map<std::string, std::string>> query =
      (*receiver)->WaitForRedirect(timeout, req.state);
  if (!query.ok()) return query.status();
  Result<std::string> code = CodeFromRedirectQuery(*query, req.state);
  if (!code.ok()) return code.status();
  return FinishUserSignIn(http, clock, endpoints, client, *code, req);
}

Result<StoredCredentials> SignInServiceAccount(HttpTransport& http,
                                               Clock& clock,
                                               const std::string& key_file_path,
                                               const std::string& subject,
                                               const std::string& scope,
                                               const std::string& token_url) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(key_file_path, ec);
  if (ec || key_file_path.empty()) {
    return InvalidArgumentError("bad key file path \"" + key_file_path + "\"");
  }
  Result<ServiceAccountKey> key = ReadServiceAccountKeyFile(abs.string());
  if (!key.ok()) return key.status();
  const std::string url = token_url.empty() ? key->token_uri : token_url;
  const std::string effective_scope = scope.empty() ? kDriveScope : scope;
  const int64_t now_s = UnixMs(clock.SystemNow()) / 1000;
  Result<std::string> assertion =
      MakeJwtAssertion(*key, effective_scope, url, subject, now_s);
  if (!assertion.ok()) return assertion.status();
  Result<TokenGrant> grant = ExchangeJwtAssertion(http, url, *assertion);
  if (!grant.ok()) return grant.status();
  GDMOUNT_LOG(kDebug) << "service account " << key->client_email
                      << " can obtain access tokens";
  StoredCredentials c;
  c.type = kServiceAccount;
  c.key_file = abs.lexically_normal().string();
  c.subject = subject;
  c.scope = effective_scope;
  c.token_url = token_url;
  return c;
}

}  // namespace gdmount::auth
