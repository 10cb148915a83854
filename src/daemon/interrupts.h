// Interrupts: counts SIGINT/SIGTERM while it lives, for the phase after the
// FUSE loop ended (libfuse's own handlers end the loop; these end the wait
// for uploads at unmount). One at a time; the destructor restores what was
// installed before.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace gdmount::daemon {

class Interrupts {
 public:
  Interrupts();
  ~Interrupts();
  Interrupts(const Interrupts&) = delete;
  Interrupts& operator=(const Interrupts&) = delete;

  // Signals received since construction. Safe from any thread.
  int count() const;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Runs a callback on its own thread each time signal `sig` (SIGUSR1: poll
// for changes now) arrives. Construct it before any other thread starts:
// the signal is blocked in the constructing thread and every thread created
// afterwards inherits that, so only this one's sigwait takes it.
class SignalThread {
 public:
  explicit SignalThread(int sig);
  ~SignalThread();  // Stop()
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

  void Start(std::function<void()> on_signal);
  // Joins the thread: no callback runs after it returns. Idempotent.
  void Stop();

 private:
  const int sig_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gdmount::daemon
