// The daemon's control socket: a Unix-domain stream socket (0600, in a
// 0700 directory of the user's runtime dir), one per mount point, that
// `gdmount status` and `gdmount unmount` talk to.
//
// Protocol: the client connects and sends one request line ("status",
// "no-wait", ...); the daemon writes its answer (JSON) and closes the
// connection. Requests are served one at a time on the server's thread;
// every handler answers from in-memory state, without Drive calls.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::daemon {

// $XDG_RUNTIME_DIR/gdmount (or /tmp/gdmount-UID when it is unset), made
// 0700. Errors: Io if it cannot be made private.
Result<std::string> ControlDir();
// The mount point as the daemon and its clients name it: its parent made
// absolute and canonical, plus its own name (not resolved: that would be a
// request to the mount itself, which may be hung).
std::string MountPointKey(const std::string& mountpoint);
// The socket of the mount at `mountpoint`: ControlDir()/<first 16 hex
// digits of the SHA-256 of its MountPointKey>.sock, short enough for
// sun_path whatever the mount point.
Result<std::string> ControlSocketPath(const std::string& mountpoint);

class ControlServer {
 public:
  using Handler = std::function<std::string(const std::string& request)>;
  // Listens at `path` (a stale socket there is replaced; a live one, a
  // second daemon for the same mount point, is AlreadyExists).
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& path,
                                                      Handler handler);
  ~ControlServer();  // stops serving and removes the socket
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Connections refused because they came from another user (not root,
  // not the daemon's own user).
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  ControlServer(std::string path, int listen_fd, int wake_fd[2],
                Handler handler);
  void Serve();
  bool PeerMayControl(int fd);

  const std::string path_;
  const int listen_fd_;
  const int wake_read_, wake_write_;
  const Handler handler_;
  std::thread thread_;
  std::atomic<uint64_t> refused_{0};
};

// Sends `request` to the socket at `path` and returns the whole answer.
// Unavailable when no daemon listens there (a stale or missing socket).
Result<std::string> ControlRequest(
    const std::string& path, const std::string& request,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace gdmount::daemon
