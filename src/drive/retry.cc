#include "drive/retry.h"

#include <algorithm>
#include <cmath>

namespace gdmount::drive {

BackoffPolicy::BackoffPolicy(const RetryOptions& options, RandomSource* random)
    : options_(options), random_(random) {}

std::chrono::milliseconds BackoffPolicy::Delay(int retry,
                                               const Status& last) const {
  // 2^n overflows quickly; past 2^30 the cap has long been reached.
  double ceiling = static_cast<double>(options_.initial_backoff.count()) *
                   std::ldexp(1.0, std::min(retry, 30));
  ceiling =
      std::min(ceiling, static_cast<double>(options_.max_backoff.count()));
  auto delay = std::chrono::milliseconds(
      static_cast<int64_t>(ceiling * random_->Uniform01()));
  if (auto after = last.retry_after()) {
    delay = std::max(delay, std::min(*after, options_.max_retry_after));
  }
  return delay;
}

RetryBudget::RetryBudget(double ratio, double capacity)
    : ratio_(ratio), capacity_(capacity), balance_(capacity) {}

void RetryBudget::Deposit() {
  std::lock_guard<std::mutex> lock(mu_);
  balance_ = std::min(capacity_, balance_ + ratio_);
}

bool RetryBudget::TryWithdraw() {
  std::lock_guard<std::mutex> lock(mu_);
  if (balance_ < 1.0) return false;
  balance_ -= 1.0;
  return true;
}

double RetryBudget::balance() const {
  std::lock_guard<std::mutex> lock(mu_);
  return balance_;
}

}  // namespace gdmount::drive
