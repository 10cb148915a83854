// A manual Clock for auth unit tests: time moves only when a test calls
// Advance() (or code calls SleepFor). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "gdmount/clock.h"

namespace gdmount::auth::testing {

class FakeClock : public Clock {
 public:
  // 2023-11-14T22:13:20Z: any fixed, realistic wall-clock time.
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  std::chrono::steady_clock::time_point SteadyNow() override {
    return std::chrono::steady_clock::time_point(
        std::chrono::nanoseconds(elapsed_ns_.load()));
  }
  std::chrono::system_clock::time_point SystemNow() override {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::milliseconds(kStartMs) +
            std::chrono::nanoseconds(elapsed_ns_.load())));
  }
  void SleepFor(std::chrono::nanoseconds d) override { Advance(d); }

  void Advance(std::chrono::nanoseconds d) { elapsed_ns_ += d.count(); }
  int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               SystemNow().time_since_epoch())
        .count();
  }

 private:
  std::atomic<int64_t> elapsed_ns_{0};
};

}  // namespace gdmount::auth::testing
