#include "util/task_pool.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace gdmount::util {
namespace {

// A latch the test opens when it is ready for the tasks to proceed.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void Wait() {
    std::unique_lock<std::mutex> l(mu);
    ++waiting;
    cv.notify_all();
    cv.wait(l, [this] { return open; });
  }
  void AwaitWaiting(int n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return waiting >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

TEST_CASE("TaskPool runs at most N tasks at once, urgent ones first",
          "[unit][util]") {
  std::vector<int> order;
  std::mutex order_mu;
  Gate gate;
  std::atomic<int> running{0}, peak{0}, done{0};
  {
    TaskPool pool(2);
    for (int i = 0; i < 2; ++i) {
      pool.Push([&] {
        int now = ++running;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        gate.Wait();
        --running;
        ++done;
      });
    }
    gate.AwaitWaiting(2);  // both workers are busy
    for (int i = 1; i <= 3; ++i)
      pool.Push([&, i] {
        std::lock_guard<std::mutex> l(order_mu);
        order.push_back(i);
        ++done;
      });
    pool.Push(
        [&] {
          std::lock_guard<std::mutex> l(order_mu);
          order.push_back(0);
          ++done;
        },
        /*urgent=*/true);
    CHECK(pool.queued() == 4);
    gate.Open();
    while (done.load() < 6) std::this_thread::yield();
  }
  CHECK(peak.load() == 2);
  // With two workers the urgent task is taken first, so it runs among the
  // first two. (The order the others record in is not the order they were
  // taken in: two workers race to the recording lock. The exact order is
  // checked with one worker below.)
  REQUIRE(order.size() == 4);
  CHECK(std::find(order.begin(), order.end(), 0) - order.begin() <= 1);
}

TEST_CASE("TaskPool takes urgent tasks first, the rest in order",
          "[unit][util]") {
  std::vector<int> order;
  Gate gate;
  std::atomic<int> done{0};
  {
    TaskPool pool(1);
    pool.Push([&] {
      gate.Wait();
      ++done;
    });
    gate.AwaitWaiting(1);  // the only worker is busy
    for (int i = 1; i <= 3; ++i)
      pool.Push([&, i] {
        order.push_back(i);  // one worker: no two tasks at once
        ++done;
      });
    pool.Push(
        [&] {
          order.push_back(0);
          ++done;
        },
        /*urgent=*/true);
    gate.Open();
    while (done.load() < 5) std::this_thread::yield();
  }
  CHECK(order == std::vector<int>{0, 1, 2, 3});
}

}  // namespace
}  // namespace gdmount::util
