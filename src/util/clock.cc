#include "gdmount/clock.h"

#include <thread>

namespace gdmount {
namespace {

class RealClockImpl : public Clock {
 public:
  std::chrono::steady_clock::time_point SteadyNow() override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point SystemNow() override {
    return std::chrono::system_clock::now();
  }
  void SleepFor(std::chrono::nanoseconds d) override {
    if (d.count() > 0) std::this_thread::sleep_for(d);
  }
};

}  // namespace

Clock* RealClock() {
  static RealClockImpl* clock = new RealClockImpl();  // never destroyed
  return clock;
}

}  // namespace gdmount
