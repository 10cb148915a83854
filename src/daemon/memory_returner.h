// MemoryReturner: gives memory the daemon freed back to the system.
//
// Design note. glibc's malloc keeps what is freed for reuse by the same
// arena (up to 8 per core unless MALLOC_ARENA_MAX says otherwise; see
// docs/configuration.md), so after the folder views are evicted and
// rebuilt a few times (vfs/view_cache.h) the resident set climbs although
// the live data does not: measured with 200,000 entries listed over and
// over under a 100,000-entry cap, 330 MiB grew to 464 MiB in four passes
// and kept growing; one malloc_trim(0) brought it to 239 MiB. So a
// background thread trims, at most every 5 s and only when views were
// evicted since the last trim: a trim walks every arena under its lock
// (17 to 32 ms at 300 to 400 MiB). With it the same passes stay at 318 to
// 340 MiB and settle at 173 MiB. Ordinary churn (HTTP and JSON buffers,
// journal rows) fragments the arenas too, more slowly: 55 minutes into an
// hour's soak with no view evicted, one trim took RSS from 103.5 to 98.0
// MiB. So it also trims every `quiet_ticks` intervals regardless.
//
// Thread safety: Start/Stop from one thread; Tick is what the thread runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace gdmount::daemon {

class MemoryReturner {
 public:
  // `churn`: a counter that grows when memory was freed in bulk (views
  // evicted). `trim`: returns free memory to the system (malloc_trim).
  MemoryReturner(std::function<uint64_t()> churn, std::function<void()> trim,
                 std::chrono::milliseconds interval, int quiet_ticks = 12);
  ~MemoryReturner() { Stop(); }
  MemoryReturner(const MemoryReturner&) = delete;
  MemoryReturner& operator=(const MemoryReturner&) = delete;

  void Start();
  void Stop();
  // Trims if the counter moved since the last trim, or if it did not
  // for `quiet_ticks` calls; true if it trimmed.
  bool Tick();

 private:
  std::function<uint64_t()> churn_;
  std::function<void()> trim_;
  const std::chrono::milliseconds interval_;
  const int quiet_ticks_;
  uint64_t trimmed_at_ = 0;  // the counter at the last trim
  int quiet_ = 0;            // ticks since the last trim
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// malloc_trim(0), timed in the debug log.
void TrimMalloc();

}  // namespace gdmount::daemon
