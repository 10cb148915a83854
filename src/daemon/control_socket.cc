#include "daemon/control_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "gdmount/log.h"
#include "util/encoding.h"

namespace gdmount::daemon {
namespace {

constexpr size_t kMaxRequest = 4096;

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return InvalidArgumentError("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Waits until `fd` is ready for `events` or `deadline`; false on timeout.
bool WaitFd(int fd, short events, std::chrono::steady_clock::time_point end) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::string> ControlDir() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string dir = runtime && *runtime
                        ? std::string(runtime) + "/gdmount"
                        : "/tmp/gdmount-" + std::to_string(::getuid());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return IoError("cannot create " + dir + ": " + std::strerror(errno));
  struct stat st;
  // Ours and private, or not used at all (a /tmp name someone else made).
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
      st.st_uid != ::getuid())
    return IoError(dir + " is not a directory of this user");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    return IoError("cannot make " + dir + " private");
  return dir;
}

std::string MountPointKey(const std::string& mountpoint) {
  std::filesystem::path p = std::filesystem::absolute(mountpoint);
  while (p.has_relative_path() && p.filename().empty()) p = p.parent_path();
  std::error_code ec;
  auto parent = std::filesystem::weakly_canonical(p.parent_path(), ec);
  if (ec) return p.lexically_normal().string();
  return (parent / p.filename()).string();
}

Result<std::string> ControlSocketPath(const std::string& mountpoint) {
  auto dir = ControlDir();
  if (!dir.ok()) return dir.status();
  const std::string key = MountPointKey(mountpoint);
  return *dir + "/" + util::HexEncode(util::Sha256(key)).substr(0, 16) +
         ".sock";
}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(
    const std::string& path, Handler handler) {
  auto addr = Address(path);
  if (!addr.ok()) return addr.status();
  // Someone answering there: another daemon serves this mount point.
  if (ControlRequest(path, "ping", std::chrono::seconds(2)).ok())
    return Status(
        StatusCode::kAlreadyExists,
        "another gdmount already serves this mount point (" + path + ")");
  ::unlink(path.c_str());  // a stale socket from a daemon that died
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + std::strerror(errno));
  // The directory is 0700, so nobody else could connect before the
  // chmod; umask is not touched (it is process-wide, threads run).
  int bound =
      ::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  if (bound == 0) bound = ::chmod(path.c_str(), 0600);
  if (bound != 0 || ::listen(fd, 16) != 0) {
    Status s =
        IoError("cannot listen at " + path + ": " + std::strerror(errno));
    ::close(fd);
    return s;
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    ::close(fd);
    ::unlink(path.c_str());
    return IoError(std::string("pipe: ") + std::strerror(errno));
  }
  return std::unique_ptr<ControlServer>(
      new ControlServer(path, fd, wake, std::move(handler)));
}

ControlServer::ControlServer(std::string path, int listen_fd, int wake_fd[2],
                             Handler handler)
    : path_(std::move(path)),
      listen_fd_(listen_fd),
      wake_read_(wake_fd[0]),
      wake_write_(wake_fd[1]),
      handler_(std::move(handler)) {
  thread_ = std::thread([this] { Serve(); });
}

ControlServer::~ControlServer() {
  char c = 0;
  (void)!::write(wake_write_, &c, 1);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
  ::unlink(path_.c_str());
}

bool ControlServer::PeerMayControl(int fd) {
  ucred peer{};
  socklen_t len = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) return false;
  if (peer.uid == ::geteuid() || peer.uid == 0) return true;
  refused_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void ControlServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    // Only this daemon's user (and root) may ask: the socket's 0600 and its
    // 0700 directory already keep others out; this holds even if those
    // modes were loosened by hand.
    if (!PeerMayControl(c)) {
      ::close(c);
      continue;
    }
    // A client that stops reading cannot wedge this thread (and the exit).
    timeval limit{2, 0};
    ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    // One short request line; a client that sends nothing is dropped.
    std::string request;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    char buf[512];
    while (request.find('\n') == std::string::npos &&
           request.size() < kMaxRequest && WaitFd(c, POLLIN, end)) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    if (auto nl = request.find('\n'); nl != std::string::npos) {
      request.resize(nl);
      (void)WriteAll(c, handler_(request));
    }
    ::close(c);
  }
}

Result<std::string> ControlRequest(const std::string& path,
                                   const std::string& request,
                                   std::chrono::milliseconds timeout) {
  auto addr = Address(path);
  if (!addr.ok()) return addr.status();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + std::strerror(errno));
  auto unavailable = [&](const std::string& why) {
    ::close(fd);
    return Status(StatusCode::kUnavailable,
                  "no gdmount daemon answers at " + path + " (" + why + ")");
  };
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) !=
      0)
    return unavailable(std::strerror(errno));
  if (!WriteAll(fd, request + "\n")) return unavailable("send failed");
  const auto end = std::chrono::steady_clock::now() + timeout;
  std::string answer;
  char buf[4096];
  while (true) {
    if (!WaitFd(fd, POLLIN, end)) return unavailable("no answer in time");
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable(std::strerror(errno));
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

}  // namespace gdmount::daemon
