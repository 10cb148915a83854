#include "daemon/auth_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "auth/sign_in.h"
#include "auth/token_store.h"
#include "daemon/wiring.h"
#include "gdmount/clock.h"
#include "gdmount/log.h"
#include "gdmount/random.h"
#include "util/url.h"

namespace gdmount::daemon {
namespace {

// Against a loopback endpoint (the emulator) any client id is accepted, so
// a built-in one saves a flag; Google needs the user's own (docs/auth.md).
constexpr const char* kEmulatorClientId =
    "gdmount-emulator.apps.googleusercontent.com";

bool IsLoopbackUrl(const std::string& url) {
  auto parts = util::SplitUrl(url);
  return parts.ok() && parts->scheme == "http";  // CheckUrlAllowed passed
}

Result<auth::OAuthClient> ClientFor(const config::Settings& s) {
  auth::OAuthClient client;
  client.client_id = s.client_id;
  client.client_secret = s.client_secret;
  client.scope = s.scope;
  if (client.client_id.empty()) {
    if (!IsLoopbackUrl(s.auth_url))
      return InvalidArgumentError(
          "no OAuth client ID: Google requires your own Desktop OAuth client "
          "for full Drive access. Create one (docs/auth.md, or `gdmount help "
          "auth`), then pass --client-id ID --client-secret SECRET or put "
          "client_id/client_secret in " +
          s.config_file);
    client.client_id = kEmulatorClientId;
  }
  return client;
}

void OpenBrowser(const std::string& url) {
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) return;
  pid_t pid = fork();
  if (pid == 0) {
    // Quiet child: the URL is printed anyway.
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) {
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
    execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
}

Result<auth::StoredCredentials> SignIn(const config::Settings& s,
                                       const CommandLine& cl,
                                       HttpTransport& transport,
                                       std::istream& in, std::ostream& out) {
  if (auto sa = cl.options.find("--service-account"); sa != cl.options.end()) {
    std::string subject;
    if (auto it = cl.options.find("--subject"); it != cl.options.end())
      subject = it->second;
    return auth::SignInServiceAccount(transport, *RealClock(), sa->second,
                                      subject, s.scope, s.token_url);
  }
  auto client = ClientFor(s);
  if (!client.ok()) return client.status();
  auth::OAuthEndpoints endpoints{s.auth_url, s.token_url, s.revoke_url};
  if (cl.options.count("--headless"))
    return auth::SignInHeadless(transport, *RealClock(), endpoints, *client, in,
                                out, *SecureRandom());
  int timeout_s = 300;
  if (auto it = cl.options.find("--timeout"); it != cl.options.end())
    timeout_s = std::atoi(it->second.c_str());
  if (timeout_s <= 0)
    return InvalidArgumentError("--timeout must be > 0 seconds");
  std::function<void(const std::string&)> browser;
  if (!cl.options.count("--no-browser")) browser = OpenBrowser;
  return auth::SignInWithLoopback(transport, *RealClock(), endpoints, *client,
                                  out, *SecureRandom(),
                                  std::chrono::seconds(timeout_s), browser);
}

}  // namespace

const char kAuthHelp[] =
    "Usage: gdmount auth [--headless | --service-account KEY.json "
    "[--subject EMAIL]] [options]\n"
    "\n"
    "Signs in to Google Drive and stores the token for the account\n"
    "(--account NAME, default \"default\") in\n"
    "$XDG_CONFIG_HOME/gdmount/NAME/token.json, mode 0600.\n"
    "\n"
    "  (no option)          Opens the sign-in page (or prints its URL) and\n"
    "                       catches Google's redirect on 127.0.0.1.\n"
    "  --headless           For machines without a browser (notebooks, SSH):\n"
    "                       prints the URL; open it anywhere, sign in, then\n"
    "                       paste back the code or the whole address of the\n"
    "                       page that failed to load (http://127.0.0.1...).\n"
    "  --service-account F  Uses a service-account key file (JSON).\n"
    "  --subject EMAIL      With --service-account: impersonate this user\n"
    "                       (domain-wide delegation).\n"
    "  --no-browser         Do not try to open a browser.\n"
    "  --timeout SECONDS    How long to wait for the redirect (300).\n"
    "\n"
    "Google requires your own OAuth client for full Drive access: create a\n"
    "Desktop app client and pass --client-id/--client-secret (or set them in\n"
    "the config file). See docs/auth.md.\n";

OptionSpec AuthOptions() {
  return {{"--headless", false},
          {"--service-account", true},
          {"--subject", true},
          {"--no-browser", false},
          {"--timeout", true}};
}

int RunAuth(const config::Settings& s, const CommandLine& cl, std::istream& in,
            std::ostream& out, std::ostream& err) {
  if (cl.options.count("--subject") && !cl.options.count("--service-account")) {
    err << "gdmount auth: --subject only applies with --service-account\n";
    return 2;
  }
  auto dir = auth::AccountConfigDir(s.account);
  if (!dir.ok()) {
    err << "gdmount auth: " << dir.status().message() << "\n";
    return 2;
  }
  auto transport = MakeTransport(s);
  if (!transport.ok()) {
    err << "gdmount auth: " << transport.status().message() << "\n";
    return 1;
  }
  auto creds = SignIn(s, cl, **transport, in, out);
  if (!creds.ok()) {
    err << "gdmount auth: " << creds.status().message() << "\n";
    return 1;
  }
  auth::TokenStore store(*dir);
  Status saved = store.Save(*creds);
  if (!saved.ok()) {
    err << "gdmount auth: could not save the token: " << saved.message()
        << "\n";
    return 1;
  }
  // Prove the token works end to end before declaring success.
  auto tokens = MakeTokenSource(s, **transport);
  if (!tokens.ok()) {
    err << "gdmount auth: " << tokens.status().message() << "\n";
    return 1;
  }
  auto client = MakeDriveClient(s, transport->get(), tokens->get());
  if (!client.ok()) {
    err << "gdmount auth: " << client.status().message() << "\n";
    return 1;
  }
  auto about = (*client)->GetAbout();
  if (!about.ok()) {
    err << "gdmount auth: signed in, but Drive refused the token: "
        << about.status().message() << "\n";
    return 1;
  }
  out << "Signed in as " << about->user_email << " (account \"" << s.account
      << "\").\nToken saved to " << store.path() << " (mode 0600).\n";
  return 0;
}

}  // namespace gdmount::daemon
