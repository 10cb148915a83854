#include "auth/user_token_source.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/refreshing_token_cache.h"
#include "auth/token_endpoint.h"
#include "gdmount/log.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/auth/fake_http.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::kClientId;
using testing::kClientSecret;
using testing::kTokenUrl;
using testing::OAuthEnv;
using TokenState = emulator::OAuthServer::TokenState;

constexpr const char* kRedirect = "http://127.0.0.1:43123/";

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string TokenOf(const std::string& header) {
  return header.substr(std::string("Bearer ").size());
}

// Signs in through the emulator (code + PKCE) and returns what
// `gdmount auth` would have stored.
StoredCredentials SignedIn(OAuthEnv& env) {
  OAuthClient client{kClientId, kClientSecret};
  AuthorizationRequest req = BuildAuthorizationRequest(
      {testing::kAuthUrl, kTokenUrl, ""}, client, kRedirect, *SecureRandom());
  Result<util::UrlParts> loc = util::SplitUrl(env.BrowserRedirect(req.url));
  REQUIRE(loc.ok());
  std::string code = util::ParseQuery(loc->query)->at("code");
  Result<TokenGrant> g =
      ExchangeCode(*env.http, kTokenUrl, client, code, kRedirect, req.verifier);
  REQUIRE(g.ok());
  StoredCredentials c;
  c.type = kAuthorizedUser;
  c.client_id = kClientId;
  c.client_secret = kClientSecret;
  c.refresh_token = g->refresh_token;
  c.access_token = g->access_token;
  c.scope = client.scope;
  c.token_url = kTokenUrl;
  c.expiry_ms = env.clock.NowMs() + g->expires_in_s * 1000;
  return c;
}

using gdmount::testing::TempDir;

TEST_CASE("UserTokenSource serves the stored token while it is fresh",
          "[unit]") {
  OAuthEnv env;
  StoredCredentials creds = SignedIn(env);
  const int before = env.http->token_requests();
  UserTokenSource source(*env.http, env.clock, creds, nullptr);
  CHECK(*source.AuthorizationHeader() == "Bearer " + creds.access_token);
  env.clock.Advance(seconds(3599 - 61));
  CHECK(*source.AuthorizationHeader() == "Bearer " + creds.access_token);
  CHECK(env.http->token_requests() == before);
}

TEST_CASE("UserTokenSource refreshes on expiry and persists the token",
          "[unit]") {
  OAuthEnv env;
  TempDir tmp;
  TokenStore store(tmp.path() + "/acct");
  StoredCredentials creds = SignedIn(env);
  REQUIRE(store.Save(creds).ok());
  const int before = env.http->token_requests();
  UserTokenSource source(*env.http, env.clock, creds, &store);

  env.clock.Advance(seconds(3600));  // past expiry
  CHECK(env.server->CheckAccessToken(creds.access_token) ==
        TokenState::kExpired);
  Result<std::string> h = source.AuthorizationHeader();
  REQUIRE(h.ok());
  CHECK(*h != "Bearer " + creds.access_token);
  CHECK(env.server->CheckAccessToken(TokenOf(*h)) == TokenState::kValid);
  CHECK(env.http->token_requests() == before + 1);
  CHECK(*source.AuthorizationHeader() == *h);  // cached again
  CHECK(env.http->token_requests() == before + 1);

  Result<StoredCredentials> saved = store.Load();
  REQUIRE(saved.ok());
  CHECK(saved->access_token == TokenOf(*h));
  CHECK(saved->refresh_token == creds.refresh_token);  // kept
  CHECK(saved->expiry_ms == env.clock.NowMs() + 3599 * 1000);
}

TEST_CASE("UserTokenSource refreshes at once without an access token",
          "[unit]") {
  OAuthEnv env;
  StoredCredentials creds = SignedIn(env);
  creds.access_token.clear();
  creds.expiry_ms = 0;
  const int before = env.http->token_requests();
  UserTokenSource source(*env.http, env.clock, creds, nullptr);
  REQUIRE(source.AuthorizationHeader().ok());
  CHECK(env.http->token_requests() == before + 1);
}

TEST_CASE("UserTokenSource: 8 concurrent callers cause one refresh", "[unit]") {
  OAuthEnv env;
  StoredCredentials creds = SignedIn(env);
  creds.expiry_ms = env.clock.NowMs() - 1;
  UserTokenSource source(*env.http, env.clock, creds, nullptr);
  const int before = env.http->token_requests();

  std::mutex mu;
  std::condition_variable cv;
  bool in_flight = false, release = false;
  env.http->SetHook([&](const HttpRequest&) {
    std::unique_lock<std::mutex> lock(mu);
    in_flight = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  constexpr int kThreads = 8;
  int started = 0;  // guarded by mu
  std::vector<Result<std::string>> results(
      kThreads, Status(StatusCode::kInternal, "unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++started;
      }
      cv.notify_all();
      results[i] = source.AuthorizationHeader();
    });
  }
  {
    // Hold the one refresh open until every caller is running.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight && started == kThreads; });
    release = true;
    cv.notify_all();
  }
  for (std::thread& t : threads) t.join();
  CHECK(env.http->token_requests() == before + 1);
  for (const Result<std::string>& r : results) {
    REQUIRE(r.ok());
    CHECK(*r == *results[0]);
  }
}

TEST_CASE("UserTokenSource: Invalidate causes exactly one refresh", "[unit]") {
  OAuthEnv env;
  StoredCredentials creds = SignedIn(env);
  UserTokenSource source(*env.http, env.clock, creds, nullptr);
  const int before = env.http->token_requests();
  std::string old_header = *source.AuthorizationHeader();

  source.Invalidate(old_header);
  source.Invalidate(old_header);  // a second 401 for the same token
  std::string new_header = *source.AuthorizationHeader();
  CHECK(new_header != old_header);
  CHECK(*source.AuthorizationHeader() == new_header);
  CHECK(env.http->token_requests() == before + 1);

  // A late 401 for the old token does not throw away the new one.
  source.Invalidate(old_header);
  CHECK(*source.AuthorizationHeader() == new_header);
  CHECK(env.http->token_requests() == before + 1);
}

TEST_CASE("UserTokenSource: revoked refresh token asks for gdmount auth",
          "[unit]") {
  OAuthEnv env;
  TempDir tmp;
  TokenStore store(tmp.path());
  StoredCredentials creds = SignedIn(env);
  REQUIRE(store.Save(creds).ok());
  REQUIRE(env.server->Revoke(creds.refresh_token).status == 200);
  UserTokenSource source(*env.http, env.clock, creds, &store);

  // The cached access token was revoked with the grant; the 401 arrives.
  source.Invalidate("Bearer " + creds.access_token);
  const int before = env.http->token_requests();
  Result<std::string> h = source.AuthorizationHeader();
  CHECK(h.status().code() == StatusCode::kUnauthenticated);
  CHECK(Contains(h.status().message(), "gdmount auth"));
  CHECK(!Contains(h.status().message(), creds.refresh_token));
  CHECK(env.http->token_requests() == before + 1);

  // The dead grant is not retried on every call...
  CHECK(source.AuthorizationHeader().status().code() ==
        StatusCode::kUnauthenticated);
  CHECK(env.http->token_requests() == before + 1);

  // ...until `gdmount auth` writes a new sign-in, which is adopted.
  StoredCredentials fresh = SignedIn(env);
  REQUIRE(store.Save(fresh).ok());
  const int after_sign_in = env.http->token_requests();
  Result<std::string> adopted = source.AuthorizationHeader();
  REQUIRE(adopted.ok());
  CHECK(env.server->CheckAccessToken(TokenOf(*adopted)) == TokenState::kValid);
  CHECK(env.http->token_requests() == after_sign_in + 1);
}

TEST_CASE("UserTokenSource: transient failures are Unavailable and retried",
          "[unit]") {
  OAuthEnv env;
  StoredCredentials creds = SignedIn(env);
  creds.expiry_ms = env.clock.NowMs() - 1;
  UserTokenSource source(*env.http, env.clock, creds, nullptr);
  env.http->QueueResponse(503, "{}");
  CHECK(source.AuthorizationHeader().status().code() ==
        StatusCode::kUnavailable);
  env.http->QueueResponse(
      Result<HttpResponse>(Status(StatusCode::kUnavailable, "timeout")));
  CHECK(source.AuthorizationHeader().status().code() ==
        StatusCode::kUnavailable);
  CHECK(source.AuthorizationHeader().ok());  // the next attempt succeeds
}

TEST_CASE("UserTokenSource: a failed save is not fatal", "[unit]") {
  OAuthEnv env;
  TokenStore store("/dev/null/cannot-exist");
  StoredCredentials creds = SignedIn(env);
  creds.expiry_ms = env.clock.NowMs() - 1;
  UserTokenSource source(*env.http, env.clock, creds, &store);
  Result<std::string> h = source.AuthorizationHeader();
  REQUIRE(h.ok());
  CHECK(env.server->CheckAccessToken(TokenOf(*h)) == TokenState::kValid);
}

TEST_CASE("UserTokenSource never logs secrets", "[unit]") {
  OAuthEnv env;
  StoredCredentials creds = SignedIn(env);
  creds.expiry_ms = env.clock.NowMs() - 1;
  std::mutex mu;
  std::vector<std::string> lines;
  log::Level old_level = log::GetLevel();
  log::SetLevel(log::Level::kTrace);
  log::Sink old_sink = log::SetSink([&](log::Level, const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(m);
  });
  std::string header;
  {
    UserTokenSource source(*env.http, env.clock, creds, nullptr);
    header = *source.AuthorizationHeader();
    env.http->QueueResponse(503, "{}");
    source.Invalidate(header);
    CHECK(!source.AuthorizationHeader().ok());
  }
  log::SetSink(old_sink);
  log::SetLevel(old_level);
  CHECK(!lines.empty());
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(!Contains(line, creds.refresh_token));
    CHECK(!Contains(line, TokenOf(header)));
    CHECK(!Contains(line, kClientSecret));
  }
}

// --- RefreshingTokenCache directly -----------------------------------------

TEST_CASE("RefreshingTokenCache shares one fetch among waiting callers",
          "[unit]") {
  testing::FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> fetches{0};
  const bool fail = GENERATE(false, true);
  RefreshingTokenCache cache(clock, {}, [&]() -> Result<FreshToken> {
    int n = ++fetches;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    if (fail) return Status(StatusCode::kUnavailable, "down");
    return FreshToken{"tok" + std::to_string(n), clock.SystemNow() + hours(1)};
  });
  constexpr int kThreads = 8;
  std::vector<Result<std::string>> results(
      kThreads, Status(StatusCode::kInternal, "unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = cache.AuthorizationHeader(); });
  }
  // Deterministic: release only once one thread is fetching and the other
  // seven are parked on the condition variable.
  while (fetches.load() < 1 || cache.WaitingForTest() < kThreads - 1) {
    std::this_thread::yield();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
  CHECK(fetches.load() == 1);
  for (const Result<std::string>& r : results) {
    if (fail) {
      CHECK(r.status().code() == StatusCode::kUnavailable);
    } else {
      REQUIRE(r.ok());
      CHECK(*r == "Bearer tok1");
    }
  }
}

TEST_CASE("RefreshingTokenCache refresh margin and error normalisation",
          "[unit]") {
  testing::FakeClock clock;
  int fetches = 0;
  Status next_error;
  RefreshingTokenCache cache(clock, {seconds(60)}, [&]() -> Result<FreshToken> {
    ++fetches;
    if (!next_error.ok()) return next_error;
    return FreshToken{"t" + std::to_string(fetches),
                      clock.SystemNow() + seconds(600)};
  });
  CHECK(*cache.AuthorizationHeader() == "Bearer t1");
  clock.Advance(seconds(539));
  CHECK(*cache.AuthorizationHeader() == "Bearer t1");
  clock.Advance(seconds(1));  // 60 s before expiry
  CHECK(*cache.AuthorizationHeader() == "Bearer t2");
  CHECK(fetches == 2);

  // A token living shorter than twice the margin is refreshed at half-life
  // rather than on every call.
  cache.Seed("short", clock.SystemNow() + seconds(40));
  CHECK(*cache.AuthorizationHeader() == "Bearer short");
  clock.Advance(seconds(20));
  CHECK(*cache.AuthorizationHeader() == "Bearer t3");

  cache.Invalidate("Bearer t3");
  next_error = InvalidArgumentError("bad request");
  Result<std::string> r = cache.AuthorizationHeader();
  CHECK(r.status().code() == StatusCode::kUnauthenticated);
  CHECK(r.status().message() == "bad request");
}

}  // namespace
}  // namespace gdmount::auth
