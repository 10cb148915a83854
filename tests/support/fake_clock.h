// FakeClock: time moves only when a test (or a SleepFor) moves it, so
// backoff, pacing and token expiry are tested exactly and without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "gdmount/clock.h"

namespace gdmount::testing {

class FakeClock : public Clock {
 public:
  FakeClock() = default;

  std::chrono::steady_clock::time_point SteadyNow() override {
    return std::chrono::steady_clock::time_point(
        std::chrono::nanoseconds(now_ns_.load()));
  }
  std::chrono::system_clock::time_point SystemNow() override {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(kEpochOffsetNs + now_ns_.load())));
  }
  // Records the sleep and advances time by it.
  void SleepFor(std::chrono::nanoseconds d) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sleeps_.push_back(d);
    }
    now_ns_ += d.count();
  }

  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }
  // Wall-clock milliseconds since the Unix epoch.
  int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               SystemNow().time_since_epoch())
        .count();
  }
  std::vector<std::chrono::nanoseconds> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }
  std::chrono::nanoseconds total_slept() {
    std::chrono::nanoseconds t(0);
    for (auto s : sleeps()) t += s;
    return t;
  }

 private:
  // System time starts at 2026-01-01T00:00:00Z.
  static constexpr int64_t kEpochOffsetNs = 1767225600LL * 1000000000LL;
  std::atomic<int64_t> now_ns_{1000000000};
  std::mutex mu_;
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace gdmount::testing
