// End to end: the real gdmount binary mounts the emulator's Drive through
// /dev/fuse, and ordinary tools (find, md5sum, ls) read it. Every mount is
// unmounted by a guard, also when an assertion fails.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/emulator/seed.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using testing::EmulatorFixture;
using testing::Subprocess;
constexpr auto kWait = std::chrono::seconds(60);

bool Mounted(const std::string& dir) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + dir + " ") != std::string::npos) return true;
  return false;
}

// Signs in (headless flow, the emulator auto-approves) and mounts; the
// destructor unmounts and reaps the daemon whatever happened.
class Mount {
 public:
  Mount(EmulatorFixture& fx, const testing::TempDir& home)
      : dir_(home.path() + "/drive"),
        env_{{"XDG_CONFIG_HOME", home.path() + "/config"},
             {"XDG_STATE_HOME", home.path() + "/state"},
             {"XDG_CACHE_HOME", home.path() + "/cache"}} {
    mkdir(dir_.c_str(), 0755);
    Subprocess auth({GDMOUNT_BIN, "--endpoint", fx.url(), "auth", "--headless"},
                    env_);
    auto url = auth.ReadUntil("/o/oauth2/v2/auth?", kWait);
    REQUIRE(url);
    auto consent = testing::HttpCall("GET", *url, "", {});
    REQUIRE(consent.status == 302);
    auth.Write(consent.header("location") + "\n");
    REQUIRE(auth.Wait(kWait) == 0);
    daemon_ = std::make_unique<Subprocess>(
        std::vector<std::string>{GDMOUNT_BIN, "--endpoint", fx.url(), "mount",
                                 dir_, "-f"},
        env_);
    // Wait (bounded) for the kernel to show the mount.
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!Mounted(dir_) && std::chrono::steady_clock::now() < deadline) {
      if (daemon_->Wait(std::chrono::milliseconds(50))) break;  // died
    }
    INFO(daemon_->Stderr());
    REQUIRE(Mounted(dir_));
  }
  ~Mount() { Unmount(); }
  // Unmounts like a user would; returns the daemon's exit status.
  std::optional<int> Unmount() {
    if (Mounted(dir_)) {
      Subprocess u({"fusermount3", "-u", dir_});
      if (u.Wait(kWait) != 0) {
        Subprocess lazy({"fusermount3", "-u", "-z", dir_});
        lazy.Wait(kWait);
      }
    }
    auto status = daemon_ ? daemon_->Wait(kWait) : std::nullopt;
    if (daemon_ && !status) daemon_->Kill(SIGKILL);
    return status;
  }
  const std::string& dir() const { return dir_; }
  std::string Log() { return daemon_->Stderr(); }

 private:
  std::string dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Subprocess> daemon_;
};

std::string Run(std::vector<std::string> argv) {
  Subprocess p(std::move(argv));
  std::string out;
  while (auto line = p.ReadLine(kWait)) out += *line + "\n";
  REQUIRE(p.Wait(kWait) == 0);
  return out;
}

int64_t Method(EmulatorFixture& fx, const std::string& m) {
  nlohmann::json stats = fx.Stats();
  return stats["methods"].value(m, int64_t{0});
}

TEST_CASE("A mounted Drive reads byte-exact with find and md5sum", "[e2e]") {
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    WARN("no /dev/fuse: end-to-end mount test skipped");
    return;
  }
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("train/=40x20K,big.bin=20M,empty/=2x0",
                                       &emu.store())
                .ok());
  });
  fx.Upload("twin.txt", "first twin");
  fx.Upload("twin.txt", "second twin");
  fx.Upload("a/b.txt", "a name with a slash");
  auto doc = fx.Call(
      "POST", "/drive/v3/files",
      R"({"name":"notes","mimeType":"application/vnd.google-apps.document"})",
      {"Content-Type: application/json"});
  REQUIRE(doc.status == 200);
  std::string doc_id = doc.json()["id"];
  auto exported = fx.Call(
      "GET", "/drive/v3/files/" + doc_id + "/export?mimeType=" +
                 testing::Q("application/vnd.openxmlformats-"
                            "officedocument.wordprocessingml.document"));
  REQUIRE(exported.status == 200);
  fx.AdvanceMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() -
               fx.now_ms());
  // Ground truth: every file's md5 as Drive reports it.
  auto all = fx.Call(
      "GET",
      "/drive/v3/files?pageSize=1000&fields=files(name,md5Checksum,mimeType)");
  nlohmann::json files = all.json()["files"];
  std::multiset<std::string> expected_md5;
  for (const auto& f : files)
    if (f.contains("md5Checksum"))
      expected_md5.insert(f["md5Checksum"].get<std::string>());
  testing::TempDir home;
  Mount m(fx, home);

  std::string found = Run({"find", m.dir(), "-type", "f"});
  std::istringstream lines(found);
  std::vector<std::string> paths;
  for (std::string p; std::getline(lines, p);) paths.push_back(p);
  CHECK(paths.size() == 47);  // 40 + big + 2 empty + twins + slash + doc
  std::multiset<std::string> got_md5;
  for (const auto& p : paths) {
    if (p.size() > 5 && p.substr(p.size() - 5) == ".docx") continue;
    std::string sum = Run({"md5sum", p});
    got_md5.insert(sum.substr(0, 32));
  }
  CHECK(got_md5 == expected_md5);
  // The Doc reads back as its export; '/' and twins are visible.
  CHECK(Run({"md5sum", m.dir() + "/notes.docx"}).substr(0, 32) ==
        testing::Md5Hex(exported.body));
  CHECK(Run({"cat", m.dir() + "/a\u2215b.txt"}) == "a name with a slash\n");
  std::string root = Run({"ls", m.dir()});
  CHECK(root.find("twin.txt\n") != std::string::npos);
  CHECK(root.find("twin (") != std::string::npos);
  // Drive metadata as extended attributes; the quota through statfs.
  CHECK(Run({"python3", "-c",
             "import os,sys; print(os.getxattr(sys.argv[1], "
             "'user.gdmount.id').decode())",
             m.dir() + "/notes.docx"}) == doc_id + "\n");
  Run({"df", "-B1", m.dir()});
  std::string ino_before =
      Run({"stat", "-c", "%i", m.dir() + "/train/000001.bin"});

  // ls -l of a listed folder costs no further listing.
  int64_t lists = Method(fx, "files.list");
  Run({"ls", "-l", m.dir() + "/train"});
  Run({"ls", "-l", m.dir() + "/train"});
  CHECK(Method(fx, "files.list") == lists);

  // Read-only for now: writes are refused.
  CHECK(access((m.dir() + "/train").c_str(), W_OK) != 0);
  CHECK(m.Unmount() == 0);
  CHECK_FALSE(Mounted(m.dir()));

  // A remount keeps inode numbers and needs no listing of a known folder.
  int64_t lists_before = Method(fx, "files.list");
  Mount again(fx, home);
  CHECK(Run({"stat", "-c", "%i", again.dir() + "/train/000001.bin"}) ==
        ino_before);
  CHECK(Method(fx, "files.list") == lists_before);
  CHECK(again.Unmount() == 0);
}

TEST_CASE("ls -l of 100,000 entries: one list call per 1,000, none per entry",
          "[e2e]") {
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    WARN("no /dev/fuse: end-to-end mount test skipped");
    return;
  }
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("flat/=100000x0", &emu.store()).ok());
  });
  testing::TempDir home;
  Mount m(fx, home);
  int64_t lists = Method(fx, "files.list");
  int64_t gets = Method(fx, "files.get");
  std::string out = Run({"ls", "-l", m.dir() + "/flat"});
  CHECK(std::count(out.begin(), out.end(), '\n') == 100001);  // + "total"
  int64_t cold = Method(fx, "files.list") - lists;
  CHECK(cold <= 101);
  CHECK(Method(fx, "files.get") == gets);  // nothing per entry
  Run({"ls", "-l", m.dir() + "/flat"});
  CHECK(Method(fx, "files.list") - lists == cold);  // warm: zero calls
  CHECK(m.Unmount() == 0);
}

}  // namespace
}  // namespace gdmount
