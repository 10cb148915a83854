#include "daemon/daemonize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gdmount/result.h"

namespace gdmount::daemon {
namespace {

constexpr char kReady[] = "\x01gdmount-ready ";

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// The parent's side: relays the child's messages until it is ready or
// gone, then exits.
[[noreturn]] void WaitForChild(pid_t child, int from_child,
                               const std::string& mountpoint) {
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(from_child, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    // Relay whole lines as they come, up to the marker.
    size_t nl;
    while ((nl = text.find('\n')) != std::string::npos) {
      std::string line = text.substr(0, nl + 1);
      text.erase(0, nl + 1);
      if (line.rfind(kReady, 0) == 0) {
        const std::string log =
            line.substr(sizeof kReady - 1, line.size() - sizeof kReady);
        struct stat st;
        if (::stat(mountpoint.c_str(), &st) != 0) {
          std::fprintf(stderr,
                       "gdmount mount: the daemon (pid %d) mounted %s but it "
                       "does not answer (%s); see %s\n",
                       static_cast<int>(child), mountpoint.c_str(),
                       std::strerror(errno), log.c_str());
          std::exit(1);
        }
        std::fprintf(stderr,
                     "gdmount: %s is mounted (daemon pid %d, log %s); "
                     "`gdmount unmount %s` ends it\n",
                     mountpoint.c_str(), static_cast<int>(child), log.c_str(),
                     mountpoint.c_str());
        std::exit(0);
      }
      WriteAll(STDERR_FILENO, line);
    }
  }
  WriteAll(STDERR_FILENO, text);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    std::exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
  std::fprintf(stderr, "gdmount mount: the daemon died (signal %d)\n",
               WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  std::exit(1);
}

}  // namespace

Result<Daemon> Daemon::Daemonize(const std::string& mountpoint) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return IoError(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return IoError(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) {
    ::close(fds[1]);
    WaitForChild(pid, fds[0], mountpoint);
  }
  ::close(fds[0]);
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::close(null);
  }
  ::dup2(fds[1], STDERR_FILENO);  // dup2 clears O_CLOEXEC on fd 2
  return Daemon(fds[1]);
}

Status Daemon::Ready(const std::string& log_path) {
  // stderr leaves the pipe first: the parent exits once it reads the
  // marker, and a write to a pipe nobody reads would be SIGPIPE.
  Status s = RedirectStderr(log_path);
  if (!s.ok()) {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, STDERR_FILENO);
      ::close(null);
    }
  }
  WriteAll(ready_fd_, std::string(kReady) +
                          (s.ok() ? log_path : "none: " + s.message()) + "\n");
  ::close(ready_fd_);  // with fd 2 moved away, the parent sees EOF
  return s;
}

Status RedirectStderr(const std::string& path) {
  int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return IoError("cannot open the log file " + path + ": " +
                   std::strerror(errno));
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  return Status::Ok();
}

}  // namespace gdmount::daemon
