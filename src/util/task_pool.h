// TaskPool: a fixed set of worker threads running queued tasks, urgent ones
// first. The bound on threads is what makes it a concurrency limit: the
// content cache runs every download on one pool, so at most `threads`
// transfers are in flight however many files and readers there are.
//
// Thread safety: thread-safe. The destructor drops tasks not yet started
// and joins the workers (tasks running finish first).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gdmount::util {

class TaskPool {
 public:
  explicit TaskPool(size_t threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Queues `task`; an urgent one runs before every non-urgent one queued.
  void Push(std::function<void()> task, bool urgent = false);
  size_t threads() const { return workers_.size(); }
  size_t queued() const;

 private:
  void Work();

  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace gdmount::util
