// The control socket protocol: one request line, one answer, 0600, one
// daemon per socket, stale sockets replaced.
#include "daemon/control_socket.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace gdmount::daemon {
namespace {

TEST_CASE("A request line gets the handler's answer", "[unit][daemon]") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/c.sock";
  auto server = ControlServer::Start(
      path, [](const std::string& r) { return "answer to " + r; });
  REQUIRE(server.ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(ControlRequest(path, "status").value() == "answer to status");
  CHECK(ControlRequest(path, "ping").value() == "answer to ping");
  // A second server on a live socket: refused.
  auto second = ControlServer::Start(
      path, [](const std::string&) { return std::string(); });
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kAlreadyExists);
  server->reset();
  // Gone with its server; asking now says nobody answers.
  CHECK(::access(path.c_str(), F_OK) != 0);
  auto nobody = ControlRequest(path, "status");
  REQUIRE_FALSE(nobody.ok());
  CHECK(nobody.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("Another user is refused even where the modes would let it in",
          "[unit][daemon]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot connect as another user; skipped");
    return;
  }
  testing::TempDir dir;
  const std::string path = dir.path() + "/c.sock";
  auto server =
      ControlServer::Start(path, [](const std::string&) { return "secret"; });
  REQUIRE(server.ok());
  // Loosened by hand: only the peer check is left to refuse.
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  REQUIRE(::chmod(path.c_str(), 0666) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    auto answer = ControlRequest(path, "status", std::chrono::seconds(5));
    ::_exit(answer.ok() && !answer->empty() ? 1 : 0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 1: it got an answer
  CHECK((*server)->refused() == 1);
  // The daemon's own user still gets its answer.
  CHECK(ControlRequest(path, "status").value() == "secret");
}

TEST_CASE("A stale socket of a dead daemon is replaced", "[unit][daemon]") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/c.sock";
  // Bound, never listened to, then its owner "died": a stale socket file.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  auto server =
      ControlServer::Start(path, [](const std::string&) { return "ok"; });
  REQUIRE(server.ok());
  CHECK(ControlRequest(path, "x").value() == "ok");
}

TEST_CASE("Socket paths are private and per mount point", "[unit][daemon]") {
  testing::TempDir dir;
  ::setenv("XDG_RUNTIME_DIR", dir.path().c_str(), 1);
  auto a = ControlSocketPath(dir.path() + "/mnt/a");
  auto a2 = ControlSocketPath(dir.path() + "/mnt/x/../a/");
  auto b = ControlSocketPath(dir.path() + "/mnt/b");
  ::unsetenv("XDG_RUNTIME_DIR");
  REQUIRE(a.ok());
  CHECK(*a == *a2);
  CHECK(*a != *b);
  CHECK(a->rfind(dir.path() + "/gdmount/", 0) == 0);
  struct stat st;
  REQUIRE(::stat((dir.path() + "/gdmount").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

}  // namespace
}  // namespace gdmount::daemon
