// Retry rules for Drive calls (protocol guide 10.3, STYLE.md section 3).
//
// Design note. Three small pieces, composed by DriveClientImpl's call loop:
//   * BackoffPolicy: truncated exponential backoff with full jitter —
//     retry n waits uniform(0, min(max, initial * 2^n)) — but never less
//     than the server's Retry-After (itself capped at max_retry_after).
//   * RetryBudget: a process-wide token bucket of retries. Every first
//     attempt deposits `ratio` tokens (up to `capacity`), every retry
//     withdraws one. Under a sustained outage the client stops multiplying
//     load once the reserve is spent (about `ratio` retries per new call),
//     while scattered faults (30% of calls failing once) never exhaust it.
//   * RetryOptions::max_attempts caps one call's attempts.
// Which Statuses are transient is decided by IsTransient (errors.h).
//
// Thread safety: BackoffPolicy and RetryBudget are thread-safe.
#pragma once

#include <chrono>
#include <mutex>

#include "gdmount/random.h"
#include "gdmount/status.h"

namespace gdmount::drive {

struct RetryOptions {
  int max_attempts = 8;                             // first attempt included
  std::chrono::milliseconds initial_backoff{1000};  // Google: ~1 s
  std::chrono::milliseconds max_backoff{32000};     // Google: 32-64 s
  // A longer Retry-After is waited for only this long (then the retry goes
  // out and, if still refused, counts as one more attempt).
  std::chrono::milliseconds max_retry_after{120000};
  double budget_ratio = 0.5;
  double budget_capacity = 100;
};

class BackoffPolicy {
 public:
  // `random` must outlive the policy.
  BackoffPolicy(const RetryOptions& options, RandomSource* random);

  // Delay before retry number `retry` (0 = the first retry) after `last`
  // failed. Honours last.retry_after().
  std::chrono::milliseconds Delay(int retry, const Status& last) const;

 private:
  RetryOptions options_;
  RandomSource* random_;
};

class RetryBudget {
 public:
  RetryBudget(double ratio, double capacity);
  // A first attempt was made.
  void Deposit();
  // True (and one token spent) if a retry may be made now.
  bool TryWithdraw();
  double balance() const;

 private:
  const double ratio_;
  const double capacity_;
  mutable std::mutex mu_;
  double balance_;  // GUARDED_BY(mu_)
};

}  // namespace gdmount::drive
