// Daemonizing `gdmount mount`: the command returns only once the mount
// answers, or fails with the daemon's own message.
//
// Daemonize() forks. The parent waits, echoing what the child writes to
// stderr, until the child calls Ready() (then it checks that the mount
// answers a stat, says where the log is and exits 0) or exits (then it
// exits with the child's status). The child runs on in a new session with
// stdin and stdout on /dev/null and stderr into that pipe until Ready(),
// which moves stderr to the log file.
//
// Call it before any thread exists: only the forking thread survives fork.
#pragma once

#include <string>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::daemon {

class Daemon {
 public:
  // In the parent, never returns. In the child, returns the Daemon (or an
  // error before forking).
  static Result<Daemon> Daemonize(const std::string& mountpoint);
  // The mount is up: tell the parent, and log to `log_path` from now on.
  Status Ready(const std::string& log_path);

 private:
  explicit Daemon(int ready_fd) : ready_fd_(ready_fd) {}
  int ready_fd_;
};

// Appends stderr (and so the log) to `path`, created 0600.
Status RedirectStderr(const std::string& path);

}  // namespace gdmount::daemon
