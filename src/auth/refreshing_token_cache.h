// The caching and single-flight refresh logic both TokenSources share
// (google-cloud-cpp's oauth2_refreshing_credentials_wrapper idea).
//
// A cached "Bearer <token>" is served until `refresh_margin` before it
// expires (by Clock::SystemNow), or until Invalidate() names it. Then the
// first caller runs the fetcher with no lock held; callers arriving while
// it runs wait on a condition variable and share its outcome, success or
// failure, so N concurrent callers cause exactly one token request.
//
// Thread safety: thread-safe. The fetcher is never run concurrently with
// itself and never under the cache's mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "gdmount/clock.h"
#include "gdmount/result.h"

namespace gdmount::auth {

struct TokenSourceOptions {
  // Refresh this long before the token expires, so a request that starts
  // just before expiry does not arrive with a dead token. A token whose
  // whole lifetime is shorter than twice the margin is refreshed at half
  // its lifetime instead.
  std::chrono::seconds refresh_margin{60};
};

// A freshly minted access token and its absolute expiry.
struct FreshToken {
  std::string access_token;
  std::chrono::system_clock::time_point expiry;
};

class RefreshingTokenCache {
 public:
  // Mints a new token. Errors are passed on to every waiting caller,
  // normalised to the TokenSource contract: Unavailable stays Unavailable
  // (retryable); anything else becomes Unauthenticated with its message.
  using Fetcher = std::function<Result<FreshToken>()>;

  // `clock` must outlive the cache.
  RefreshingTokenCache(Clock& clock, TokenSourceOptions options, Fetcher fetch);

  RefreshingTokenCache(const RefreshingTokenCache&) = delete;
  RefreshingTokenCache& operator=(const RefreshingTokenCache&) = delete;

  // Starts with a token obtained elsewhere (e.g. read from the token file).
  void Seed(const std::string& access_token,
            std::chrono::system_clock::time_point expiry);

  // "Bearer <token>", refreshing first if needed. Errors: as the fetcher's,
  // normalised (see Fetcher).
  Result<std::string> AuthorizationHeader();

  // If `header` is the cached one, the next call refreshes.
  void Invalidate(const std::string& header);

  // Callers currently waiting for another caller's refresh.
  int WaitingForTest() const;

 private:
  // REQUIRES: mu_ held.
  bool FreshLocked();
  void StoreLocked(const FreshToken& token);

  Clock& clock_;
  const TokenSourceOptions options_;
  const Fetcher fetch_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // All below GUARDED_BY(mu_).
  std::string header_;  // empty: no token yet
  std::chrono::system_clock::time_point refresh_at_;
  bool refreshing_ = false;
  uint64_t generation_ = 0;  // bumped when a refresh finishes
  Status last_status_;       // outcome of the last refresh
  int waiting_ = 0;
};

}  // namespace gdmount::auth
