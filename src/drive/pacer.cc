#include "drive/pacer.h"

#include <algorithm>

namespace gdmount::drive {

Pacer::Pacer(PacerOptions options, Clock* clock)
    : options_(options),
      clock_(clock),
      tokens_(options.burst),
      last_(clock->SteadyNow()) {}

std::chrono::nanoseconds Pacer::Acquire() {
  if (options_.rate_per_s <= 0) return std::chrono::nanoseconds(0);
  std::chrono::nanoseconds wait(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock_->SteadyNow();
    if (now > last_) {
      double elapsed_s = std::chrono::duration<double>(now - last_).count();
      tokens_ =
          std::min(options_.burst, tokens_ + elapsed_s * options_.rate_per_s);
      last_ = now;
    }
    tokens_ -= 1.0;  // may go negative: a reservation of a future token
    if (tokens_ < 0) {
      wait = std::chrono::nanoseconds(
          static_cast<int64_t>(-tokens_ / options_.rate_per_s * 1e9));
    }
  }
  if (wait.count() > 0) clock_->SleepFor(wait);
  return wait;
}

}  // namespace gdmount::drive
