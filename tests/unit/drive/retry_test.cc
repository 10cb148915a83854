#include "drive/retry.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "drive/pacer.h"
#include "tests/support/fake_clock.h"

namespace gdmount::drive {
namespace {

using std::chrono::milliseconds;

// A RandomSource that always returns the same fraction of the range.
class FixedRandom : public RandomSource {
 public:
  explicit FixedRandom(double fraction) : fraction_(fraction) {}
  uint64_t Next64() override {
    return static_cast<uint64_t>(fraction_ * 18446744073709549568.0);
  }

 private:
  double fraction_;
};

TEST_CASE("Backoff doubles its ceiling up to the cap (full jitter)",
          "[unit][drive][retry]") {
  RetryOptions o;
  o.initial_backoff = milliseconds(1000);
  o.max_backoff = milliseconds(32000);
  FixedRandom top(0.999999);  // the ceiling itself, minus rounding
  BackoffPolicy backoff(o, &top);
  std::vector<int64_t> got;
  for (int n = 0; n < 8; ++n) got.push_back(backoff.Delay(n, Status()).count());
  CHECK(got == std::vector<int64_t>{999, 1999, 3999, 7999, 15999, 31999, 31999,
                                    31999});
  // Enormous retry counts do not overflow.
  CHECK(backoff.Delay(1000, Status()).count() == 31999);

  FixedRandom bottom(0.0);
  BackoffPolicy zero(o, &bottom);
  CHECK(zero.Delay(5, Status()).count() == 0);  // full jitter reaches 0
}

TEST_CASE("Backoff jitter is spread over the whole window",
          "[unit][drive][retry]") {
  RetryOptions o;
  auto random = MakeSeededRandom(42);
  BackoffPolicy backoff(o, random.get());
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    int64_t d = backoff.Delay(3, Status()).count();  // window [0, 8000)
    REQUIRE(d >= 0);
    REQUIRE(d < 8000);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo < 400);
  CHECK(hi > 7600);
}

TEST_CASE("Backoff waits at least Retry-After, capped",
          "[unit][drive][retry]") {
  RetryOptions o;
  o.max_retry_after = milliseconds(60000);
  FixedRandom bottom(0.0);
  BackoffPolicy backoff(o, &bottom);
  Status s(StatusCode::kRateLimited, "429");
  s.set_retry_after(milliseconds(7000));
  CHECK(backoff.Delay(0, s).count() == 7000);
  s.set_retry_after(milliseconds(3600000));
  CHECK(backoff.Delay(0, s).count() == 60000);
  FixedRandom top(0.999999);
  BackoffPolicy big(o, &top);
  s.set_retry_after(milliseconds(10));
  CHECK(big.Delay(4, s).count() == 15999);  // jitter above Retry-After wins
}

TEST_CASE("Retry budget: reserve, deposits, exhaustion",
          "[unit][drive][retry]") {
  RetryBudget budget(0.5, 3);
  CHECK(budget.TryWithdraw());
  CHECK(budget.TryWithdraw());
  CHECK(budget.TryWithdraw());
  CHECK_FALSE(budget.TryWithdraw());  // reserve spent
  budget.Deposit();
  CHECK_FALSE(budget.TryWithdraw());  // half a token is not a retry
  budget.Deposit();
  CHECK(budget.TryWithdraw());
  for (int i = 0; i < 100; ++i) budget.Deposit();
  CHECK(budget.balance() == Approx(3));  // capped at capacity
}

TEST_CASE("Pacer lets a burst through, then spaces requests at the rate",
          "[unit][drive][pacer]") {
  testing::FakeClock clock;
  Pacer pacer({/*rate_per_s=*/10, /*burst=*/5}, &clock);
  for (int i = 0; i < 5; ++i) CHECK(pacer.Acquire().count() == 0);
  // Every further request waits a tenth of a second more than the last one
  // was due; the fake clock advances by each sleep.
  for (int i = 0; i < 5; ++i) CHECK(pacer.Acquire() == milliseconds(100));
  CHECK(clock.total_slept() == milliseconds(500));
  // After an idle second the bucket has refilled up to the burst only.
  clock.Advance(std::chrono::seconds(10));
  for (int i = 0; i < 5; ++i) CHECK(pacer.Acquire().count() == 0);
  CHECK(pacer.Acquire() == milliseconds(100));
}

TEST_CASE("Pacer is shared fairly by concurrent threads",
          "[unit][drive][pacer]") {
  testing::FakeClock clock;
  Pacer pacer({100, 1}, &clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) pacer.Acquire();
    });
  for (auto& t : threads) t.join();
  // 200 requests at 100/s with a burst of 1: no reservation can be more
  // than 199 tokens deep, so no thread ever waits longer than 1.99 s.
  auto sleeps = clock.sleeps();
  REQUIRE_FALSE(sleeps.empty());
  auto last = *std::max_element(sleeps.begin(), sleeps.end());
  CHECK(last <= milliseconds(1990) + milliseconds(1));
}

TEST_CASE("Pacer with rate 0 never waits", "[unit][drive][pacer]") {
  testing::FakeClock clock;
  Pacer pacer({0, 1}, &clock);
  for (int i = 0; i < 1000; ++i) pacer.Acquire();
  CHECK(clock.sleeps().empty());
}

}  // namespace
}  // namespace gdmount::drive
