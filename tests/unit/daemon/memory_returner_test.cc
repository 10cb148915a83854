// MemoryReturner trims only when memory was freed in bulk since the last
// trim, and its thread stops promptly.
#include "daemon/memory_returner.h"

#include <catch2/catch.hpp>

namespace gdmount::daemon {
namespace {

TEST_CASE("MemoryReturner trims once per change of the churn counter",
          "[unit][daemon]") {
  uint64_t evictions = 0;
  int trims = 0;
  MemoryReturner r([&] { return evictions; }, [&] { ++trims; },
                   std::chrono::hours(1), /*quiet_ticks=*/3);
  CHECK_FALSE(r.Tick());  // nothing evicted yet
  evictions = 3;
  CHECK(r.Tick());
  CHECK_FALSE(r.Tick());  // nothing new since
  CHECK(trims == 1);
  evictions = 4;
  CHECK(r.Tick());
  CHECK(trims == 2);
  // Quiet: every third tick trims anyway (ordinary churn fragments too).
  CHECK_FALSE(r.Tick());
  CHECK_FALSE(r.Tick());
  CHECK(r.Tick());
  CHECK(trims == 3);
  CHECK_FALSE(r.Tick());
}

TEST_CASE("MemoryReturner stops without waiting out its interval",
          "[unit][daemon]") {
  MemoryReturner r([] { return uint64_t{0}; }, [] {}, std::chrono::hours(1));
  r.Start();
  r.Stop();  // would hang the test for an hour if the wait were not woken
  r.Stop();  // twice is harmless
  SUCCEED();
}

}  // namespace
}  // namespace gdmount::daemon
