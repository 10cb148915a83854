// End to end, changes made elsewhere: the emulator is changed through its
// API (as the web UI or another machine would), and the mount shows it
// within the poll interval, through the kernel's caches (the entry
// timeout is 60 s, so only gdmount's invalidations make that possible).
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/emulator/emulator.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::HaveFuse;
using e2e::kWait;
using e2e::Method;
using e2e::Mount;
using testing::EmulatorFixture;
using testing::Subprocess;
using Clock = std::chrono::steady_clock;

constexpr int kPollSeconds = 1;

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  ::closedir(d);
  return out;
}

// Checks `ready` every 50 ms until it holds or `limit` passed; returns the
// seconds it took, or a negative number if it never held.
double SecondsUntil(const std::function<bool()>& ready,
                    std::chrono::seconds limit) {
  const auto start = Clock::now();
  while (Clock::now() - start < limit) {
    if (ready())
      return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready() ? std::chrono::duration<double>(limit).count() : -1;
}

std::string Pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + i / 977 + seed * 17) & 0xff);
  return s;
}

TEST_CASE("Changes made elsewhere show through the mount within the interval",
          "[e2e][changes]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  auto docs = fx.Mkdir("docs");
  auto a = fx.Mkdir("a");
  auto b = fx.Mkdir("b", a["id"]);
  auto c = fx.Mkdir("c", b["id"]);
  auto bulk = fx.Mkdir("bulk");
  auto keep = fx.Upload("keep.txt", "old bytes");
  auto before = fx.Upload("before.txt", "r");
  auto move = fx.Upload("move.txt", "m");
  auto trash = fx.Upload("trash.txt", "t");
  auto gone = fx.Upload("delete.txt", "d");
  testing::TempDir home;
  Mount m(fx, home, {"--poll-interval", std::to_string(kPollSeconds)});
  const std::string d = m.dir();
  // The kernel caches names (and misses), attributes and pages.
  REQUIRE(ReadFile(d + "/keep.txt") == "old bytes");
  for (const char* p : {"/before.txt", "/move.txt", "/trash.txt", "/delete.txt",
                        "/docs", "/a/b/c", "/bulk"})
    REQUIRE(Exists(d + p));
  for (const char* p :
       {"/new.txt", "/after.txt", "/docs/move.txt", "/a/b/c/deep.txt"})
    REQUIRE_FALSE(Exists(d + p));
  REQUIRE(Names(d + "/bulk").empty());

  fx.Upload("new.txt", "fresh");
  fx.Upload("deep.txt", "deep", c["id"]);
  fx.Patch(before["id"], "", {{"name", "after.txt"}});
  fx.Patch(move["id"],
           "?addParents=" + std::string(docs["id"]) + "&removeParents=root",
           nlohmann::json::object());
  fx.Patch(trash["id"], "", {{"trashed", true}});
  REQUIRE(
      fx.Call("DELETE", "/drive/v3/files/" + std::string(gone["id"])).status ==
      204);
  fx.PutContent(keep["id"], "new bytes, longer");

  const double took = SecondsUntil(
      [&] {
        return Exists(d + "/new.txt") && Exists(d + "/after.txt") &&
               !Exists(d + "/before.txt") && Exists(d + "/docs/move.txt") &&
               !Exists(d + "/move.txt") && !Exists(d + "/trash.txt") &&
               !Exists(d + "/delete.txt") && Exists(d + "/a/b/c/deep.txt") &&
               ReadFile(d + "/keep.txt") == "new bytes, longer";
      },
      std::chrono::seconds(kPollSeconds + 10));
  WARN("seven changes visible through the mount after "
       << took << " s (poll every " << kPollSeconds << " s)");
  REQUIRE(took >= 0);
  CHECK(ReadFile(d + "/a/b/c/deep.txt") == "deep");
  CHECK(ReadFile(d + "/new.txt") == "fresh");
  struct stat st;
  REQUIRE(::stat((d + "/keep.txt").c_str(), &st) == 0);
  CHECK(st.st_size == 17);
  const std::set<std::string> root = Names(d);
  CHECK(root.count("after.txt") == 1);
  CHECK(root.count("before.txt") == 0);
  CHECK(root.count("delete.txt") == 0);
  CHECK(Names(d + "/.Trash").count("trash.txt") == 1);

  // A burst: 5,000 new files in a folder already listed (and shown empty).
  const int64_t lists_before = Method(fx, "files.list");
  for (int i = 0; i < 5000; ++i)
    fx.CreateEmpty("n" + std::to_string(i), bulk["id"]);
  const double burst =
      SecondsUntil([&] { return Names(d + "/bulk").size() == 5000; },
                   std::chrono::seconds(kPollSeconds + 20));
  WARN("5,000 new files listed through the mount after " << burst << " s");
  REQUIRE(burst >= 0);
  CHECK(Exists(d + "/bulk/n4999"));
  // Seen through the feed, not by listing the folder again.
  CHECK(Method(fx, "files.list") == lists_before);
  REQUIRE(m.Unmount() == 0);
}

TEST_CASE("A reader gets the version it opened or ESTALE, never a mix",
          "[e2e][changes]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  const std::string v1 = Pattern(8 << 20, 1);
  const std::string v2 = Pattern((8 << 20) + 1, 2);
  auto f = fx.Upload("big.bin", v1);
  testing::TempDir home;
  Mount m(fx, home, {"--poll-interval", "0"});  // polls when told (SIGUSR1)
  const std::string path = m.dir() + "/big.bin";
  // Reads 64 KiB, waits, then reads the rest; prints how many bytes it got
  // and how it ended.
  Subprocess reader(
      {"python3", "-c",
       "import sys\n"
       "f = open(sys.argv[1], 'rb', buffering=0)\n"
       "got = f.read(65536)\n"
       "print('ready', flush=True)\n"
       "sys.stdin.readline()\n"
       "end = 'eof'\n"
       "try:\n"
       "    while True:\n"
       "        b = f.read(65536)\n"
       "        if not b: break\n"
       "        got += b\n"
       "except OSError as e:\n"
       "    end = 'errno %d' % e.errno\n"
       "sys.stdout.buffer.write(b'%d %s\\n' % (len(got), end.encode()))\n"
       "open(sys.argv[2], 'wb').write(got)\n",
       path, home.path() + "/got.bin"});
  REQUIRE(reader.ReadLine(kWait) == std::optional<std::string>("ready"));
  fx.PutContent(f["id"], v2);
  m.Send(SIGUSR1);
  // The mount has it when stat shows the new size.
  const double took = SecondsUntil(
      [&] {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0 &&
               st.st_size == static_cast<off_t>(v2.size());
      },
      std::chrono::seconds(20));
  REQUIRE(took >= 0);
  reader.Write("go\n");
  auto result = reader.ReadLine(kWait);
  REQUIRE(result);
  REQUIRE(reader.Wait(kWait) == 0);
  INFO(*result);
  const std::string got = ReadFile(home.path() + "/got.bin");
  // Every byte it got is the old version's, in order.
  REQUIRE(got.size() <= v1.size());
  size_t first_diff = 0;
  while (first_diff < got.size() && got[first_diff] == v1[first_diff])
    ++first_diff;
  INFO("the first byte that is not the old version's: " << first_diff);
  CHECK(first_diff == got.size());
  // And it either had all of it or was told the rest is stale.
  const bool whole = got.size() == v1.size();
  CHECK((whole ||
         result->find("errno " + std::to_string(ESTALE)) != std::string::npos));
  WARN("the open reader got " << got.size() << " bytes of the old version, "
                              << "then: " << *result);
  // A new open reads the new version.
  const std::string now = ReadFile(path);
  CHECK(now.size() == v2.size());
  CHECK(testing::Md5Hex(now) == testing::Md5Hex(v2));
}

TEST_CASE("A remount applies what changed meanwhile from the saved token",
          "[e2e][changes]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  std::vector<nlohmann::json> folders;
  for (int i = 0; i < 20; ++i) {
    folders.push_back(fx.Mkdir("d" + std::to_string(i)));
    for (int j = 0; j < 10; ++j)
      fx.Upload("f" + std::to_string(j), "x", folders.back()["id"]);
  }
  testing::TempDir home;
  {
    Mount m(fx, home);
    CHECK(e2e::Find(m.dir(), "f").size() == 200 + 0);
  }
  // While unmounted.
  fx.Upload("new", "n", folders[3]["id"]);
  auto victim = e2e::IdAt(fx, folders[5]["id"], "f0");
  fx.Patch(victim, "", {{"name", "renamed"}});
  REQUIRE(fx.Call("POST", "/__emulator/reset-stats").status == 200);
  {
    Mount m(fx, home);
    auto files = e2e::Find(m.dir(), "f");
    CHECK(files.count("d3/new") == 1);
    CHECK(files.count("d5/renamed") == 1);
    CHECK(files.count("d5/f0") == 0);
    CHECK(files.size() == 201);
  }
  const int64_t catch_up_changes = Method(fx, "changes.list");
  const int64_t catch_up = catch_up_changes + Method(fx, "files.list");
  // Only .Trash and .shared, which are listed once per mount by design.
  CHECK(Method(fx, "files.list") == 2);
  // The same walk on a new state directory lists every folder.
  testing::TempDir fresh;
  REQUIRE(fx.Call("POST", "/__emulator/reset-stats").status == 200);
  {
    Mount m(fx, fresh);
    CHECK(e2e::Find(m.dir(), "f").size() == 201);
  }
  const int64_t relist = Method(fx, "files.list");
  WARN("remount: " << catch_up_changes << " changes.list + "
                   << catch_up - catch_up_changes
                   << " files.list calls; a fresh mount: " << relist
                   << " files.list calls");
  CHECK(relist >= 21);
  CHECK(catch_up * 5 <= relist);
}

TEST_CASE("A mounted shared drive follows that drive's changes",
          "[e2e][changes]") {
  if (!HaveFuse()) return;
  std::string team;
  EmulatorFixture fx({}, [&team](emulator::Emulator& emu) {
    team = emu.store().SeedSharedDrive("Team");
  });
  testing::TempDir home;
  Mount m(fx, home,
          {"--shared-drive", team, "--poll-interval",
           std::to_string(kPollSeconds)});
  REQUIRE_FALSE(Exists(m.dir() + "/plan.txt"));
  fx.CreateEmpty("plan.txt", team);
  fx.CreateEmpty("mine.txt", "root");  // My Drive: not this mount's
  const double took =
      SecondsUntil([&] { return Exists(m.dir() + "/plan.txt"); },
                   std::chrono::seconds(kPollSeconds + 10));
  WARN("a new file in the shared drive visible after " << took << " s");
  CHECK(took >= 0);
  CHECK(Names(m.dir()) == std::set<std::string>{"plan.txt"});
  CHECK(Method(fx, "changes.list") >= 1);
}

TEST_CASE("Two mounts of one Drive see each other's writes", "[e2e][changes]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  testing::TempDir home_a, home_b;
  Mount a(fx, home_a, {"--poll-interval", std::to_string(kPollSeconds)});
  Mount b(fx, home_b, {"--poll-interval", std::to_string(kPollSeconds)});
  REQUIRE_FALSE(Exists(b.dir() + "/shared.txt"));  // a cached miss in b
  // Written and fsynced through a: on Drive when fsync returns.
  e2e::Run({"python3", "-c",
            "import os, sys\n"
            "with open(sys.argv[1], 'w') as f:\n"
            "    f.write('from a\\n')\n"
            "    f.flush()\n"
            "    os.fsync(f.fileno())\n",
            a.dir() + "/shared.txt"});
  const double took = SecondsUntil(
      [&] { return ReadFile(b.dir() + "/shared.txt") == "from a\n"; },
      std::chrono::seconds(kPollSeconds + 10));
  WARN("a write through one mount readable through the other after " << took
                                                                     << " s");
  CHECK(took >= 0);
  // And back, an edit through b.
  e2e::Run({"bash", "-c",
            "echo 'from b' >> '" + b.dir() + "/shared.txt' && sync '" +
                b.dir() + "/shared.txt'"});
  const double back = SecondsUntil(
      [&] { return ReadFile(a.dir() + "/shared.txt") == "from a\nfrom b\n"; },
      std::chrono::seconds(kPollSeconds + 15));
  CHECK(back >= 0);
}

}  // namespace
}  // namespace gdmount
