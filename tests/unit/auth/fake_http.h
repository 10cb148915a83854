// Test doubles for auth unit tests: an HttpTransport that hands token
// requests to an in-process emulator OAuthServer (no sockets), plus an
// OAuthEnv bundling that server with a FakeClock.
//
// The transport decodes the form body exactly as the emulator's router
// would, counts token requests, records the last request, and can be told
// to fail sends, answer with canned responses, or call a hook (to hold a
// request open in concurrency tests). Thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gdmount/http_transport.h"
#include "tests/emulator/oauth.h"
#include "tests/unit/auth/fake_clock.h"
#include "util/url.h"

namespace gdmount::auth::testing {

inline constexpr const char* kClientId = "123-abc.apps.googleusercontent.com";
inline constexpr const char* kClientSecret = "GOCSPX-test-secret";
inline constexpr const char* kAuthUrl =
    "https://accounts.example.test/o/oauth2/v2/auth";
inline constexpr const char* kTokenUrl = "http://127.0.0.1:8089/token";
inline constexpr const char* kDriveScopeForTest =
    "https://www.googleapis.com/auth/drive";

class EmulatorTransport : public HttpTransport {
 public:
  explicit EmulatorTransport(emulator::OAuthServer& server) : server_(server) {}

  Result<HttpResponse> Send(const HttpRequest& req) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_ = req;
    }
    ++sends_;
    std::function<void(const HttpRequest&)> hook;
    std::optional<Result<HttpResponse>> canned;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hook = hook_;
      if (!canned_.empty()) {
        canned.emplace(std::move(canned_.front()));
        canned_.pop_front();
      }
    }
    if (hook) hook(req);
    if (canned) return std::move(*canned);
    return Route(req);
  }

  // The next Sends return these (a Status = transport failure) instead of
  // reaching the server.
  void QueueResponse(Result<HttpResponse> r) {
    std::lock_guard<std::mutex> lock(mu_);
    canned_.push_back(std::move(r));
  }
  void QueueResponse(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = {{"content-type", "application/json"}};
    QueueResponse(Result<HttpResponse>(std::move(r)));
  }
  // Called (without locks) at the start of every Send.
  void SetHook(std::function<void(const HttpRequest&)> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    hook_ = std::move(hook);
  }

  int sends() const { return sends_.load(); }
  int token_requests() const { return token_requests_.load(); }
  HttpRequest last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  Result<HttpResponse> Route(const HttpRequest& req) {
    Result<util::UrlParts> url = util::SplitUrl(req.url);
    HttpResponse r;
    if (!url.ok() || req.method != "POST" || url->path != "/token") {
      r.status = 404;
      return r;
    }
    Result<std::map<std::string, std::string>> form =
        util::ParseQuery(req.body);
    if (!form.ok()) {
      r.status = 400;
      return r;
    }
    ++token_requests_;
    emulator::OAuthServer::HttpAnswer a = server_.Token(*form);
    r.status = a.status;
    r.body = a.body;
    r.body_bytes = a.body.size();
    r.headers.emplace_back("content-type", a.content_type);
    return r;
  }

  emulator::OAuthServer& server_;
  mutable std::mutex mu_;
  HttpRequest last_;
  std::deque<Result<HttpResponse>> canned_;
  std::function<void(const HttpRequest&)> hook_;
  std::atomic<int> sends_{0};
  std::atomic<int> token_requests_{0};
};

// An emulator OAuth server on a FakeClock, and a transport to it.
struct OAuthEnv {
  explicit OAuthEnv(emulator::OAuthOptions o = Options()) {
    server = std::make_unique<emulator::OAuthServer>(
        std::move(o), [this] { return clock.NowMs(); },
        [this] { return "rnd" + std::to_string(++counter) + "_XyZ-abcdefgh"; });
    http = std::make_unique<EmulatorTransport>(*server);
  }

  static emulator::OAuthOptions Options() {
    emulator::OAuthOptions o;
    o.client_id = kClientId;
    o.client_secret = kClientSecret;
    o.access_token_lifetime_s = 3599;
    o.token_audiences = {kTokenUrl};
    return o;
  }

  // Plays the browser: sends the authorization URL's query to the server's
  // /o/oauth2/v2/auth and returns the Location it redirects to ("" if it
  // did not redirect).
  std::string BrowserRedirect(const std::string& auth_request_url) {
    Result<util::UrlParts> url = util::SplitUrl(auth_request_url);
    if (!url.ok()) return "";
    Result<std::map<std::string, std::string>> query =
        util::ParseQuery(url->query);
    if (!query.ok()) return "";
    emulator::OAuthServer::HttpAnswer a = server->Authorize(*query);
    auto it = a.headers.find("Location");
    return a.status == 302 && it != a.headers.end() ? it->second : "";
  }

  FakeClock clock;
  std::atomic<int> counter{0};
  std::unique_ptr<emulator::OAuthServer> server;
  std::unique_ptr<EmulatorTransport> http;
};

}  // namespace gdmount::auth::testing
