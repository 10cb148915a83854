// Interrupts: counts SIGINT/SIGTERM while it lives, for the phase after the
// FUSE loop ended (libfuse's own handlers end the loop; these end the wait
// for uploads at unmount). One at a time; the destructor restores what was
// installed before.
#pragma once

#include <signal.h>

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

}  // namespace gdmount::daemon
