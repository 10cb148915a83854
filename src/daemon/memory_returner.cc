#include "daemon/memory_returner.h"

#include <malloc.h>

#include <utility>

#include "gdmount/log.h"

namespace gdmount::daemon {

MemoryReturner::MemoryReturner(std::function<uint64_t()> churn,
                               std::function<void()> trim,
                               std::chrono::milliseconds interval,
                               int quiet_ticks)
    : churn_(std::move(churn)),
      trim_(std::move(trim)),
      interval_(interval),
      quiet_ticks_(quiet_ticks) {}

void MemoryReturner::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      Tick();
      lock.lock();
    }
  });
}

void MemoryReturner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool MemoryReturner::Tick() {
  const uint64_t now = churn_();
  if (now == trimmed_at_ && ++quiet_ < quiet_ticks_) return false;
  trimmed_at_ = now;
  quiet_ = 0;
  trim_();
  return true;
}

void TrimMalloc() {
  const auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
  GDMOUNT_LOG(kDebug) << "returned freed memory to the system in "
                      << std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count()
                      << " us";
}

}  // namespace gdmount::daemon
