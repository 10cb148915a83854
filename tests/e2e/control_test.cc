// End to end, the commands that talk to a running daemon: `gdmount
// status` (text and --json) and `gdmount unmount` (waiting for uploads, or
// --no-wait), through the control socket of a real mount.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::HaveFuse;
using e2e::Method;
using e2e::Mount;
using testing::EmulatorFixture;

// Names on Drive under the root with their md5s.
std::map<std::string, std::string> RootFiles(EmulatorFixture& fx) {
  auto r = fx.Call("GET",
                   "/drive/v3/files?pageSize=1000&fields=files(name,"
                   "md5Checksum)&q=" +
                       testing::Q("'root' in parents and trashed = false"));
  REQUIRE(r.status == 200);
  std::map<std::string, std::string> out;
  nlohmann::json j = r.json();
  for (const auto& f : j["files"]) out[f["name"]] = f.value("md5Checksum", "");
  return out;
}

TEST_CASE("gdmount status shows the mount, its uploads and its API calls",
          "[e2e][control]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions slow;
  slow.shaping.metadata_latency_ms = 300;  // uploads stay pending a while
  EmulatorFixture fx(slow);
  testing::TempDir home;
  Mount m(fx, home, {"--pacer-rate", "0"});
  e2e::Run({"bash", "-c",
            "head -c 3000000 /dev/urandom > '" + m.dir() + "/big.bin' && ls '" +
                m.dir() + "' > /dev/null"});
  auto text = m.Cli({"status", m.dir()});
  INFO(text.out << text.err);
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out,
             Catch::Contains(m.dir() + ": My Drive of account default"));
  CHECK_THAT(text.out, Catch::Contains("cache: "));
  // The root was listed: its view is in memory, under the default cap.
  CHECK_THAT(text.out, Catch::Contains("of 100000 entries"));
  CHECK_THAT(text.out, Catch::Contains("big.bin"));  // pending, with progress
  CHECK_THAT(text.out, Catch::Contains("files.list: "));
  auto json = m.Cli({"status", m.dir(), "--json"});
  REQUIRE(json.status == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j["mountpoint"] == m.dir());
  CHECK(j["pid"].get<int64_t>() > 0);
  CHECK(j["api"]["by_kind"]["files.list"]["calls"].get<int64_t>() >= 1);
  CHECK(j["cache"]["budget"].get<int64_t>() > 0);
  CHECK(j["views"]["folders"].get<int64_t>() >= 1);
  CHECK(j["views"]["entries"].get<int64_t>() >= 1);
  CHECK(j["views"]["max_entries"] == 100000);
  REQUIRE(j["uploads"]["pending"].size() == 1);
  CHECK(j["uploads"]["pending"][0]["name"] == "big.bin");
  CHECK(j["uploads"]["pending"][0]["size"] == 3000000);
  // Without a mount point: every mount of this user (here, one).
  auto all = m.Cli({"status", "--json"});
  REQUIRE(all.status == 0);
  CHECK(nlohmann::json::parse(all.out).size() == 1);
  // The socket is private.
  struct stat st;
  REQUIRE(::stat((home.path() + "/run/gdmount").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // A second daemon for the same mount point is refused, with the reason.
  auto second = m.Cli({"--endpoint", fx.url(), "mount", m.dir(), "-f"});
  CHECK(second.status == 1);
  CHECK_THAT(second.err, Catch::Contains("is already a gdmount mount"));

  // gdmount unmount waits for the upload: on Drive when it returns.
  auto un = m.Cli({"unmount", m.dir()});
  INFO(un.out << un.err);
  CHECK(un.status == 0);
  CHECK_THAT(un.out, Catch::Contains("unmounted " + m.dir() +
                                     "; every written file is on Drive"));
  CHECK(RootFiles(fx).count("big.bin") == 1);
  CHECK(m.Unmount() == 0);  // the daemon exited cleanly
  // Nothing answers any more.
  auto gone = m.Cli({"status", m.dir()});
  CHECK(gone.status == 1);
  CHECK_THAT(gone.err, Catch::Contains("no gdmount daemon serves"));
  auto none = m.Cli({"status"});
  CHECK(none.status == 1);
}

TEST_CASE("gdmount unmount --no-wait leaves uploads for the next mount",
          "[e2e][control]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions slow;
  slow.shaping.metadata_latency_ms = 300;
  EmulatorFixture fx(slow);
  testing::TempDir home;
  {
    Mount m(fx, home, {"--pacer-rate", "0", "--upload-chunk-size", "1048576"});
    e2e::Run({"bash", "-c",
              "for i in 1 2 3; do head -c 12000000 /dev/urandom > '" + m.dir() +
                  "'/f$i.bin; done"});
    auto un = m.Cli({"unmount", m.dir(), "--no-wait"});
    INFO(un.out << un.err);
    CHECK(un.status == 0);
    CHECK_THAT(un.out, Catch::Contains("stay journaled"));
    CHECK(m.Unmount() == 0);
    CHECK_THAT(m.Log(), Catch::Contains("not uploaded yet"));
  }
  CHECK(RootFiles(fx).size() < 3);
  Mount again(fx, home, {"--pacer-rate", "0"});
  auto un = again.Cli({"unmount", again.dir()});
  CHECK(un.status == 0);
  CHECK(again.Unmount() == 0);
  INFO(un.out << "\n--- daemon:\n" << again.Log());
  CHECK(RootFiles(fx).size() == 3);
  // Unmounting what is not mounted says so.
  auto twice = again.Cli({"unmount", again.dir()});
  CHECK(twice.status == 1);
  CHECK_THAT(twice.err, Catch::Contains("is it mounted?"));
}

TEST_CASE("gdmount prefetch warms the cache: later reads cost no download",
          "[e2e][control]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  auto data = fx.Mkdir("data");
  auto sub = fx.Mkdir("sub", data["id"]);
  std::string big(3 << 20, 'b');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  fx.Upload("big.bin", big, data["id"]);
  for (int i = 0; i < 40; ++i)
    fx.Upload("s" + std::to_string(i) + ".txt",
              std::string(10000, 'a' + i % 26), sub["id"]);
  testing::TempDir home;
  {
    Mount m(fx, home);
    auto r = m.Cli({"prefetch", m.dir() + "/data"});
    INFO(r.out << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("prefetched 41 file(s), 3.4 MiB"));
    CHECK(m.Unmount() == 0);
  }
  // A new daemon (the kernel's page cache went with the old mount): every
  // byte comes from gdmount's disk cache.
  Mount again(fx, home);
  REQUIRE(fx.Call("POST", "/__emulator/reset-stats").status == 200);
  const std::string sums = e2e::Run({"bash", "-c",
                                     "cd '" + again.dir() +
                                         "/data' && find . -type f | sort "
                                         "| xargs md5sum | md5sum"});
  CHECK(Method(fx, "files.get.media") == 0);
  CHECK(sums.size() > 32);
  // A budget smaller than the folder: said, and what fits is read.
  testing::TempDir small_home;
  Mount small(fx, small_home, {"--cache-budget", "2000000"});
  auto r = small.Cli({"prefetch", small.dir() + "/data"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("more than the cache budget"));
  // More files than the cache may hold: said, and that many are read.
  testing::TempDir few_home;
  Mount few(fx, few_home, {"--cache-max-files", "16"});
  auto capped = few.Cli({"prefetch", few.dir() + "/data"});
  INFO(capped.out << capped.err);
  CHECK(capped.status == 0);
  CHECK_THAT(capped.err, Catch::Contains("more than the cache holds "
                                         "(cache_max_files 16)"));
  CHECK_THAT(capped.out, Catch::Contains("prefetched 16 file(s)"));
  auto status = few.Cli({"status", few.dir(), "--json"});
  REQUIRE(status.status == 0);
  auto cache = nlohmann::json::parse(status.out)["cache"];
  CHECK(cache["max_files"] == 16);
  CHECK(cache["files"].get<int64_t>() <= 16);
  auto outside = small.Cli({"prefetch", small_home.path()});
  CHECK(outside.status == 1);
  CHECK_THAT(outside.err, Catch::Contains("is not inside a gdmount mount"));
}

}  // namespace
}  // namespace gdmount
