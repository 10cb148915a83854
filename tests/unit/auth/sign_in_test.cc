#include "auth/sign_in.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "auth/token_source_factory.h"
#include "tests/unit/auth/fake_http.h"
#include "tests/unit/auth/raw_http_client.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

using testing::kAuthUrl;
using testing::kClientId;
using testing::kClientSecret;
using testing::kTokenUrl;
using testing::OAuthEnv;
using TokenState = emulator::OAuthServer::TokenState;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

OAuthEndpoints Endpoints() { return {kAuthUrl, kTokenUrl, ""}; }
OAuthClient Client() { return {kClientId, kClientSecret}; }

// An input stream whose every line comes from a callback, called only when
// the reader needs it: after SignInHeadless has printed its prompt. The
// callback returns nullopt for end of input.
class LineSource : public std::streambuf {
 public:
  explicit LineSource(std::function<std::optional<std::string>()> next)
      : next_(std::move(next)) {}
  int calls() const { return calls_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    ++calls_;
    std::optional<std::string> line = next_();
    if (!line) return traits_type::eof();
    buf_ = *line + "\n";
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::function<std::optional<std::string>()> next_;
  std::string buf_;
  int calls_ = 0;
};

// The authorization URL SignInHeadless printed: exactly one line that is
// the whole URL.
std::string PrintedUrl(const std::string& out) {
  std::vector<std::string> found;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (Contains(line, kAuthUrl)) found.push_back(line);
  }
  REQUIRE(found.size() == 1);
  REQUIRE(found[0].rfind(kAuthUrl, 0) == 0);  // nothing before it
  return found[0];
}

std::map<std::string, std::string> QueryOf(const std::string& url) {
  Result<util::UrlParts> u = util::SplitUrl(url);
  REQUIRE(u.ok());
  Result<std::map<std::string, std::string>> q = util::ParseQuery(u->query);
  REQUIRE(q.ok());
  return *q;
}

void CheckSignedIn(OAuthEnv& env, const Result<StoredCredentials>& c) {
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->type == kAuthorizedUser);
  CHECK(c->client_id == kClientId);
  CHECK(c->client_secret == kClientSecret);
  CHECK(c->token_url == kTokenUrl);
  CHECK(c->scope == "https://www.googleapis.com/auth/drive");
  CHECK(c->expiry_ms == env.clock.NowMs() + 3599 * 1000);
  CHECK(env.server->CheckAccessToken(c->access_token) == TokenState::kValid);
  CHECK(!c->refresh_token.empty());
}

TEST_CASE("SignInHeadless with the pasted redirected URL", "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  std::string location;
  LineSource paste([&]() -> std::optional<std::string> {
    std::string url = PrintedUrl(out.str());
    std::map<std::string, std::string> q = QueryOf(url);
    Result<util::UrlParts> redirect = util::SplitUrl(q.at("redirect_uri"));
    REQUIRE(redirect.ok());
    CHECK(redirect->host == "127.0.0.1");
    CHECK(redirect->port >= 1024);
    CHECK(redirect->path == "/");
    location = env.BrowserRedirect(url);  // the browser approves
    REQUIRE(!location.empty());
    return location;
  });
  std::istream in(&paste);
  Result<StoredCredentials> c = SignInHeadless(
      *env.http, env.clock, Endpoints(), Client(), in, out, *SecureRandom());
  CheckSignedIn(env, c);
  CHECK(paste.calls() == 1);
  CHECK(
      Contains(out.str(), "Paste the code or the whole redirected URL here: "));
  // The code is never echoed back.
  CHECK(!Contains(out.str(), QueryOf(location).at("code")));
}

TEST_CASE("SignInHeadless with the bare code", "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  LineSource paste([&]() -> std::optional<std::string> {
    std::string location = env.BrowserRedirect(PrintedUrl(out.str()));
    return "  " + QueryOf(location).at("code") + "  ";
  });
  std::istream in(&paste);
  CheckSignedIn(env, SignInHeadless(*env.http, env.clock, Endpoints(), Client(),
                                    in, out, *SecureRandom()));
}

TEST_CASE("SignInHeadless on EOF is Cancelled", "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  std::istringstream in("");
  Result<StoredCredentials> c = SignInHeadless(
      *env.http, env.clock, Endpoints(), Client(), in, out, *SecureRandom());
  CHECK(c.status().code() == StatusCode::kCancelled);
  CHECK(c.status().message() == "sign-in cancelled (no input)");
  CHECK(env.http->token_requests() == 0);
  PrintedUrl(out.str());  // the URL was still shown, on its own line
}

TEST_CASE("SignInHeadless asks again after a URL from another attempt",
          "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  int pastes = 0;
  LineSource paste([&]() -> std::optional<std::string> {
    std::string location = env.BrowserRedirect(PrintedUrl(out.str()));
    if (++pastes == 1) {
      std::map<std::string, std::string> q = QueryOf(location);
      return "http://127.0.0.1:5555/?state=someone-else&code=" +
             util::PercentEncode(q.at("code"));
    }
    return location;
  });
  std::istream in(&paste);
  Result<StoredCredentials> c = SignInHeadless(
      *env.http, env.clock, Endpoints(), Client(), in, out, *SecureRandom());
  CheckSignedIn(env, c);
  CHECK(pastes == 2);
  CHECK(Contains(out.str(), "state mismatch"));
  CHECK(env.http->token_requests() == 1);  // only the good paste exchanged
}

TEST_CASE("SignInHeadless gives up after repeated bad pastes", "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  std::istringstream in("hello\n\nnot a code at all\nnever read\n");
  Result<StoredCredentials> c = SignInHeadless(
      *env.http, env.clock, Endpoints(), Client(), in, out, *SecureRandom());
  CHECK(c.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(c.status().message(), "gave up after 3 attempts"));
  std::string rest;
  std::getline(in, rest);
  CHECK(rest == "never read");
  CHECK(env.http->token_requests() == 0);
}

TEST_CASE("SignInHeadless reports a denial in the browser", "[unit]") {
  OAuthEnv env;
  env.server->DenyAuthorizationForTest(true);
  std::ostringstream out;
  LineSource paste([&]() -> std::optional<std::string> {
    return env.BrowserRedirect(PrintedUrl(out.str()));
  });
  std::istream in(&paste);
  Result<StoredCredentials> c = SignInHeadless(
      *env.http, env.clock, Endpoints(), Client(), in, out, *SecureRandom());
  CHECK(c.status().code() == StatusCode::kPermissionDenied);
  CHECK(paste.calls() == 1);
}

TEST_CASE("SignInWithLoopback completes through the loopback listener",
          "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  std::thread browser;
  std::string opened, page;
  auto open_browser = [&](const std::string& url) {
    opened = url;
    browser = std::thread([&env, &page, url] {
      std::string location = env.BrowserRedirect(url);
      Result<util::UrlParts> to = util::SplitUrl(location);
      if (!to.ok()) return;
      page = testing::Get(to->port, to->path + "?" + to->query);
    });
  };
  Result<StoredCredentials> c = SignInWithLoopback(
      *env.http, env.clock, Endpoints(), Client(), out, *SecureRandom(),
      std::chrono::seconds(20), open_browser);
  if (browser.joinable()) browser.join();
  CheckSignedIn(env, c);
  CHECK(opened == PrintedUrl(out.str()));
  CHECK(Contains(page, "Signed in to gdmount"));
}

TEST_CASE("SignInWithLoopback times out with Cancelled", "[unit]") {
  OAuthEnv env;
  std::ostringstream out;
  Result<StoredCredentials> c = SignInWithLoopback(
      *env.http, env.clock, Endpoints(), Client(), out, *SecureRandom(),
      std::chrono::milliseconds(50), nullptr);
  CHECK(c.status().code() == StatusCode::kCancelled);
  PrintedUrl(out.str());
}

TEST_CASE("SignInServiceAccount verifies the key and copies no secret",
          "[unit]") {
  OAuthEnv env;
  Result<nlohmann::json> file = env.server->CreateServiceAccount(
      "robot@proj-1.iam.gserviceaccount.com", kTokenUrl);
  REQUIRE(file.ok());
  char tmpl[] = "/tmp/gdmount_sa_key_XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  close(fd);
  const std::string path = tmpl;
  std::ofstream(path) << file->dump();

  Result<StoredCredentials> c =
      SignInServiceAccount(*env.http, env.clock, path, "", "", "");
  REQUIRE(c.ok());
  CHECK(c->type == kServiceAccount);
  CHECK(c->key_file == path);
  CHECK(c->scope == "https://www.googleapis.com/auth/drive");
  CHECK(c->subject.empty());
  CHECK(c->refresh_token.empty());
  CHECK(c->access_token.empty());
  CHECK(c->client_secret.empty());
  CHECK(env.http->token_requests() == 1);
  CHECK(env.http->last_request().url == kTokenUrl);

  // The stored credentials make a working TokenSource.
  Result<std::unique_ptr<TokenSource>> source =
      MakeTokenSource(*env.http, env.clock, *c, nullptr);
  REQUIRE(source.ok());
  Result<std::string> h = (*source)->AuthorizationHeader();
  REQUIRE(h.ok());
  CHECK(env.server->CheckAccessToken(h->substr(7)) == TokenState::kValid);

  // A token URL the server does not accept as audience fails the check.
  Result<StoredCredentials> bad = SignInServiceAccount(
      *env.http, env.clock, path, "", "", "http://127.0.0.1:8089/token?x");
  CHECK(!bad.ok());
  std::remove(path.c_str());

  Result<StoredCredentials> missing =
      SignInServiceAccount(*env.http, env.clock, path, "", "", "");
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(Contains(missing.status().message(), path));
}

TEST_CASE("MakeTokenSource rejects unknown credential types", "[unit]") {
  OAuthEnv env;
  StoredCredentials c;
  c.type = "martian";
  CHECK(MakeTokenSource(*env.http, env.clock, c, nullptr).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gdmount::auth
