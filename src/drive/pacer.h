// Pacer: a token bucket shared by every thread that calls Drive, so the
// mount as a whole stays under Drive's per-user query rate (protocol guide
// 10.3) instead of discovering it through 403 userRateLimitExceeded.
//
// Acquire() takes one token, sleeping (via the Clock) until one is due.
// Callers that arrive while the bucket is empty reserve future tokens in
// arrival order (the balance goes negative), so waiting threads are served
// FIFO without spinning. rate 0 disables pacing.
//
// Thread safety: thread-safe. No lock is held while sleeping.
#pragma once

#include <chrono>
#include <mutex>

#include "gdmount/clock.h"

namespace gdmount::drive {

struct PacerOptions {
  double rate_per_s = 100;  // Drive's documented user quota is ~200/s
  double burst = 200;
};

class Pacer {
 public:
  // `clock` must outlive the pacer.
  Pacer(PacerOptions options, Clock* clock);
  // Blocks until the caller may send one request; returns the time waited.
  std::chrono::nanoseconds Acquire();

 private:
  const PacerOptions options_;
  Clock* clock_;
  std::mutex mu_;
  double tokens_;                               // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_;  // GUARDED_BY(mu_)
};

}  // namespace gdmount::drive
