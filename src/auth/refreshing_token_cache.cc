#include "auth/refreshing_token_cache.h"

#include <algorithm>
#include <utility>

namespace gdmount::auth {
namespace {

Status Normalise(const Status& s) {
  if (s.code() == StatusCode::kUnavailable ||
      s.code() == StatusCode::kUnauthenticated) {
    return s;
  }
  // A permanent failure (bad key, rejected request): the grant is unusable
  // until the user signs in again, which is what Unauthenticated means to
  // DriveClient.
  Status out(StatusCode::kUnauthenticated, s.message());
  out.set_http_status(s.http_status());
  return out;
}

}  // namespace

RefreshingTokenCache::RefreshingTokenCache(Clock& clock,
                                           TokenSourceOptions options,
                                           Fetcher fetch)
    : clock_(clock), options_(options), fetch_(std::move(fetch)) {}

void RefreshingTokenCache::Seed(const std::string& access_token,
                                std::chrono::system_clock::time_point expiry) {
  if (access_token.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  StoreLocked({access_token, expiry});
}

bool RefreshingTokenCache::FreshLocked() {
  return !header_.empty() && clock_.SystemNow() < refresh_at_;
}

void RefreshingTokenCache::StoreLocked(const FreshToken& token) {
  header_ = "Bearer " + token.access_token;
  auto lifetime = token.expiry - clock_.SystemNow();
  auto margin = std::clamp<std::chrono::system_clock::duration>(
      lifetime / 2, std::chrono::system_clock::duration::zero(),
      options_.refresh_margin);
  refresh_at_ = token.expiry - margin;
}

Result<std::string> RefreshingTokenCache::AuthorizationHeader() {
  std::unique_lock<std::mutex> lock(mu_);
  if (FreshLocked()) return header_;
  if (refreshing_) {
    // Share the refresh in flight, including its failure: N callers must
    // not turn one outage into N token requests.
    const uint64_t generation = generation_;
    ++waiting_;
    cv_.wait(lock, [&] { return generation_ != generation; });
    --waiting_;
    if (!last_status_.ok()) return last_status_;
    return header_;
  }
  refreshing_ = true;
  lock.unlock();
  Result<FreshToken> token = fetch_();  // no lock held across HTTP
  lock.lock();
  refreshing_ = false;
  ++generation_;
  if (token.ok()) {
    StoreLocked(*token);
    last_status_ = Status::Ok();
  } else {
    last_status_ = Normalise(token.status());
  }
  cv_.notify_all();
  if (!last_status_.ok()) return last_status_;
  return header_;
}

void RefreshingTokenCache::Invalidate(const std::string& header) {
  std::lock_guard<std::mutex> lock(mu_);
  // Another thread may already have replaced the token the 401 was for.
  if (header == header_) {
    refresh_at_ = std::chrono::system_clock::time_point::min();
  }
}

int RefreshingTokenCache::WaitingForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

}  // namespace gdmount::auth
