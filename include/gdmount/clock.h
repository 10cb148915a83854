// Time seam (LevelDB's Env idea): every read of the clock and every sleep in
// gdmount goes through a Clock, so tests drive time with a FakeClock
// (tests/support/fake_clock.h) instead of sleeping.
//
// Thread safety: implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace gdmount {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines, backoff and rate limiting.
  virtual std::chrono::steady_clock::time_point SteadyNow() = 0;
  // Wall-clock time, for token expiry (compared with server timestamps).
  virtual std::chrono::system_clock::time_point SystemNow() = 0;
  // Blocks the calling thread for `d` (a FakeClock advances instead).
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

// The process-wide real clock (std::chrono + std::this_thread). Never null.
Clock* RealClock();

// clock->SystemNow() as Unix epoch milliseconds (how the store and Drive
// keep times).
inline int64_t UnixMillis(Clock* clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock->SystemNow().time_since_epoch())
      .count();
}

}  // namespace gdmount
