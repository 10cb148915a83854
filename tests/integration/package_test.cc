// The Debian package, end to end on this machine: built with CPack,
// installed with dpkg -i, used as installed (gdmount --version, the man
// page, the units, a mount of the emulator by /usr/bin/gdmount, an fstab
// mount through /usr/sbin/mount.fuse.gdmount), then removed again.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_support.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::kWait;
using e2e::Mounted;
using testing::Subprocess;

// Runs argv; returns its exit status, stdout and stderr together.
std::pair<std::optional<int>, std::string> Run(
    std::vector<std::string> argv,
    const std::map<std::string, std::string>& env = {},
    const std::string& cwd = "") {
  if (!cwd.empty()) {
    std::string line = "cd '" + cwd + "' &&";
    for (const auto& a : argv) line += " '" + a + "'";
    argv = {"bash", "-c", line};
  }
  Subprocess p(argv, env);
  std::string out;
  while (auto line = p.ReadLine(std::chrono::seconds(300))) out += *line + "\n";
  auto status = p.Wait(std::chrono::seconds(300));
  return {status, out + p.Stderr()};
}

bool Installed() {
  return Run({"dpkg-query", "-W", "-f=${Status}", "gdmount"})
             .second.find("install ok installed") != std::string::npos;
}

TEST_CASE("The .deb installs, mounts the emulator, and uninstalls",
          "[package][e2e]") {
  if (::geteuid() != 0 || ::access("/usr/bin/dpkg", X_OK) != 0 ||
      !e2e::HaveFuse()) {
    WARN("not root with dpkg and /dev/fuse: package test skipped");
    return;
  }
  if (Installed()) {
    WARN("a gdmount package is installed already; not replacing it");
    return;
  }
  auto [built, build_log] = Run({"cpack", "-G", "DEB"}, {}, GDMOUNT_BUILD_DIR);
  INFO(build_log);
  REQUIRE(built == 0);
  std::string deb;
  for (const auto& e : std::filesystem::directory_iterator(GDMOUNT_BUILD_DIR))
    if (e.path().extension() == ".deb") deb = e.path();
  REQUIRE_FALSE(deb.empty());
  auto [info_status, info] = Run({"dpkg-deb", "-I", deb});
  CHECK_THAT(info, Catch::Contains("Depends: fuse3"));
  CHECK_THAT(info, Catch::Contains("libfuse3-3"));
  struct Remove {
    ~Remove() { Run({"dpkg", "-r", "gdmount"}); }
  } remove;
  auto [installed, install_log] = Run({"dpkg", "-i", deb});
  INFO(install_log);
  REQUIRE(installed == 0);

  CHECK(Run({"/usr/bin/gdmount", "--version"}).second == "gdmount 0.1.0\n");
  char link[256] = {};
  CHECK(::readlink("/usr/sbin/mount.fuse.gdmount", link, sizeof link - 1) > 0);
  CHECK(std::string(link) == "../bin/gdmount");
  if (::access("/usr/bin/man", X_OK) == 0) {
    auto [man, where] = Run({"man", "-w", "gdmount"});
    CHECK(man == 0);
    CHECK_THAT(where, Catch::Contains("/usr/share/man/man1/gdmount.1"));
  }
  // The installed units, as systemd would load them (the man page check
  // included now that it is installed).
  testing::TempDir units;
  for (const char* kind : {"user", "system"}) {
    const std::string copy = units.path() + "/" + kind;
    ::mkdir(copy.c_str(), 0755);
    std::filesystem::copy_file(
        std::string("/usr/lib/systemd/") + kind + "/gdmount@.service",
        copy + "/gdmount@srv-drive.service");
    auto [ok, said] =
        Run({"systemd-analyze", "verify", copy + "/gdmount@srv-drive.service"});
    INFO(kind << ": " << said);
    CHECK(ok == 0);
    CHECK(said.find("gdmount@") == std::string::npos);
  }

  // A mount by the installed binary.
  testing::EmulatorFixture fx;
  fx.Upload("hello.txt", "hi\n");
  testing::TempDir home;
  {
    e2e::Mount m(fx, home, {}, {}, "/usr/bin/gdmount");
    std::ifstream in(m.dir() + "/hello.txt");
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "hi\n");
    in.close();
    CHECK(m.Unmount() == 0);
  }

  // fstab: mount(8) runs the installed helper.
  const std::string mnt = home.path() + "/fstab";
  ::mkdir(mnt.c_str(), 0755);
  struct Guard {
    std::string dir;
    ~Guard() {
      if (Mounted(dir)) Run({"fusermount3", "-u", "-z", dir});
    }
  } guard{mnt};
  const auto env = e2e::HomeEnv(home.path());
  auto [mounted, mount_log] =
      Run({"mount", "-t", "fuse.gdmount", "gdmount#default", mnt, "-o",
           "defaults,_netdev,uid=4321,endpoint=" + fx.url()},
          env);
  INFO(mount_log);
  REQUIRE(mounted == 0);
  REQUIRE(Mounted(mnt));
  std::ifstream mounts("/proc/self/mounts");
  CHECK_THAT(std::string(std::istreambuf_iterator<char>(mounts), {}),
             Catch::Contains(mnt + " fuse.gdmount"));
  struct stat st;
  REQUIRE(::stat((mnt + "/hello.txt").c_str(), &st) == 0);
  CHECK(st.st_uid == 4321);  // the fstab option reached the mount
  CHECK(Run({"umount", mnt}).first == 0);
  CHECK_FALSE(Mounted(mnt));
  // A bad option in the fstab line fails the mount with the fix.
  auto [bad, bad_log] = Run({"mount", "-t", "fuse.gdmount", "gdmount#default",
                             mnt, "-o", "cache_budgt=1"},
                            env);
  CHECK(bad != 0);
  CHECK_THAT(bad_log, Catch::Contains("unknown option 'cache_budgt'"));
}

}  // namespace
}  // namespace gdmount
