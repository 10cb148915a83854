#include "daemon/interrupts.h"

#include <atomic>

namespace gdmount::daemon {
namespace {

// Written from the handler: a lock-free atomic is async-signal-safe.
std::atomic<int> g_count{0};
static_assert(std::atomic<int>::is_always_lock_free);

void OnSignal(int) { g_count.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

Interrupts::Interrupts() {
  g_count.store(0);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

Interrupts::~Interrupts() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int Interrupts::count() const { return g_count.load(); }

SignalThread::SignalThread(int sig) : sig_(sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig_);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalThread::~SignalThread() { Stop(); }

void SignalThread::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  pthread_kill(thread_.native_handle(), sig_);  // wakes its sigwait
  thread_.join();
}

void SignalThread::Start(std::function<void()> on_signal) {
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig_);
    while (true) {
      int got = 0;
      if (sigwait(&set, &got) != 0) continue;
      if (stop_) return;
      on_signal();
    }
  });
}

}  // namespace gdmount::daemon
