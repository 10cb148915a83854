// systemd integration: the shipped units pass `systemd-analyze verify`, and
// the daemon speaks the readiness protocol (READY=1 once the mount
// answers, STOPPING=1 at unmount) to $NOTIFY_SOCKET.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "daemon/sd_notify.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using testing::Subprocess;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A datagram socket to stand in for systemd's notify socket.
struct NotifySocket {
  explicit NotifySocket(const std::string& path) : path(path) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{60, 0};  // bounded: a missing message fails, never hangs
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd); }
  std::string Receive() {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  std::string path;
  int fd = -1;
};

TEST_CASE("The systemd units pass systemd-analyze verify", "[systemd]") {
  testing::TempDir dir;
  for (const char* kind : {"user", "system"}) {
    INFO(kind);
    std::string unit = ReadFile(std::string(GDMOUNT_SOURCE_DIR) + "/systemd/" +
                                kind + "/gdmount@.service");
    REQUIRE_FALSE(unit.empty());
    CHECK_THAT(unit, Catch::Contains("Type=notify"));
    // verify checks that the programs exist: point it at this build's.
    for (size_t at; (at = unit.find("/usr/bin/gdmount")) != std::string::npos;)
      unit.replace(at, 16, GDMOUNT_BIN);
    const std::string path =
        dir.path() + "/" + kind + "/gdmount@srv-drive.service";
    ::mkdir((dir.path() + "/" + kind).c_str(), 0755);
    std::ofstream(path) << unit;
    // --man=no: the man page is checked by the .deb test, once installed.
    Subprocess verify({"systemd-analyze", "verify", "--man=no", path});
    std::string out;
    while (auto line = verify.ReadLine(std::chrono::seconds(60)))
      out += *line + "\n";
    CHECK(verify.Wait(std::chrono::seconds(60)) == 0);
    const std::string err = verify.Stderr();
    INFO(out << err);
    // Nothing said about our unit (other units' noise is not ours).
    CHECK(err.find("gdmount@") == std::string::npos);
  }
}

TEST_CASE("SdNotify sends one datagram, and nothing without systemd",
          "[systemd]") {
  testing::TempDir dir;
  NotifySocket sock(dir.path() + "/notify");
  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(daemon::SdNotify("READY=1"));
  ::setenv("NOTIFY_SOCKET", sock.path.c_str(), 1);
  CHECK(daemon::SdNotify("READY=1\nSTATUS=x"));
  CHECK(sock.Receive() == "READY=1\nSTATUS=x");
  ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("A mount under systemd says READY once it answers, then STOPPING",
          "[systemd][e2e]") {
  if (!e2e::HaveFuse()) return;
  testing::EmulatorFixture fx;
  testing::TempDir home;
  NotifySocket sock(home.path() + "/notify");
  e2e::Mount m(fx, home, {}, {{"NOTIFY_SOCKET", sock.path}});
  const std::string ready = sock.Receive();
  CHECK_THAT(ready, Catch::Contains("READY=1"));
  CHECK_THAT(ready, Catch::Contains("STATUS=Serving " + m.dir()));
  REQUIRE(m.Unmount() == 0);
  CHECK_THAT(sock.Receive(), Catch::Contains("STOPPING=1"));
}

}  // namespace
}  // namespace gdmount
