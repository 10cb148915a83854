// End to end, writing: ordinary tools (cp, git, tar, rsync, Python) write
// through a real mount; the bytes are then checked on the emulator's side
// (md5s, names, parents), after the daemon drained its uploads at unmount,
// or after it was killed and a new mount resumed the journal.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include "meta/metadata_store.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::HaveFuse;
using e2e::kWait;
using e2e::Mount;
using e2e::Mounted;
using testing::EmulatorFixture;
using testing::Subprocess;

// Requests that change Drive, by the emulator's count.
int64_t Writes(EmulatorFixture& fx) {
  int64_t n = 0;
  // Held: a range-for over a member of a temporary would dangle.
  const nlohmann::json stats = fx.Stats();
  for (const auto& [method, count] : stats["methods"].items())
    if (method.find("create") != std::string::npos ||
        method.find("update") != std::string::npos ||
        method.find("upload") != std::string::npos ||
        method.find("delete") != std::string::npos)
      n += count.get<int64_t>();
  return n;
}

// Runs `script` with bash in `dir`; fails the test with its output if it
// fails.
void Bash(const std::string& dir, const std::string& script) {
  Subprocess p({"bash", "-c", "set -euo pipefail; cd '" + dir + "'; " + script},
               {{"GIT_AUTHOR_NAME", "t"},
                {"GIT_AUTHOR_EMAIL", "t@example.com"},
                {"GIT_COMMITTER_NAME", "t"},
                {"GIT_COMMITTER_EMAIL", "t@example.com"},
                {"HOME", dir}});
  std::string out;
  while (auto line = p.ReadLine(std::chrono::seconds(300))) out += *line + "\n";
  auto status = p.Wait(kWait);
  INFO(script << "\n--- output:\n" << out << p.Stderr());
  REQUIRE(status == 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every untrashed file under folder `id` on the emulator, by relative path,
// with its md5 (folders recursed).
void Walk(EmulatorFixture& fx, const std::string& id, const std::string& prefix,
          std::map<std::string, std::string>* out, bool with_dirs = false) {
  std::string token;
  do {
    auto r = fx.Call(
        "GET",
        "/drive/v3/files?pageSize=1000&fields=nextPageToken,files(id,name,"
        "mimeType,md5Checksum)&q=" +
            testing::Q("'" + id + "' in parents and trashed = false") +
            (token.empty() ? "" : "&pageToken=" + testing::Q(token)));
    REQUIRE(r.status == 200);
    auto j = r.json();
    for (const auto& f : j["files"]) {
      std::string path = prefix + std::string(f["name"]);
      if (f["mimeType"] == "application/vnd.google-apps.folder") {
        if (with_dirs) (*out)[path + "/"] = "dir";
        Walk(fx, f["id"], path + "/", out, with_dirs);
      } else {
        REQUIRE((*out).count(path) == 0);  // no duplicates
        (*out)[path] = f.value("md5Checksum", "");
      }
    }
    token = j.value("nextPageToken", "");
  } while (!token.empty());
}

// The same for a local directory.
std::map<std::string, std::string> LocalMd5s(const std::string& root,
                                             bool with_dirs = false) {
  std::map<std::string, std::string> out;
  if (with_dirs) {
    for (const auto& line : e2e::Lines(
             e2e::Run({"bash", "-c",
                       "cd '" + root +
                           "' && find . -mindepth 1 -type d -printf '%P\\n'"})))
      out[line + "/"] = "dir";
  }
  for (const auto& line : e2e::Lines(
           e2e::Run({"bash", "-c",
                     "cd '" + root + "' && find . -type f -printf '%P\\n'"})))
    out[line] = testing::Md5Hex(ReadFile(root + "/" + line));
  return out;
}

TEST_CASE("cp -r of a 200 MiB file and 1,000 small files reaches Drive",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  testing::TempDir home;
  const std::string src = home.path() + "/src";
  Bash(home.path(),
       "mkdir -p src/small src/deep/er && "
       "head -c 209715200 /dev/urandom > src/big.bin && "
       "for i in $(seq -w 1 1000); do echo \"row $i $RANDOM\" > "
       "src/small/f$i.txt; done && printf '' > src/deep/er/empty");
  {
    Mount m(fx, home, {"--pacer-rate", "0"});
    Bash(m.dir(), "cp -r '" + src + "' dst");
    // Readable through the mount at once, before uploads finish.
    CHECK(testing::Md5Hex(ReadFile(m.dir() + "/dst/big.bin")) ==
          testing::Md5Hex(ReadFile(src + "/big.bin")));
    REQUIRE(m.Unmount() == 0);  // drains the uploads first
    CHECK_THAT(m.Log(), Catch::Contains("every written file is on Drive"));
  }
  std::map<std::string, std::string> on_drive;
  Walk(fx, e2e::IdAt(fx, fx.emu().store().root_id(), "dst"), "", &on_drive);
  auto local = LocalMd5s(src);
  CHECK(local.size() == 1002);
  CHECK(on_drive == local);
}

TEST_CASE("Everyday tools write through the mount", "[e2e][write]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  testing::TempDir home;
  Bash(home.path(),
       "mkdir -p tree/a/b && echo one > tree/a/1.txt && "
       "echo two > tree/a/b/2.txt && tar cf tree.tar -C tree . && "
       "mkdir sync && seq 1 500 > sync/numbers.txt && echo x > sync/x && "
       "touch -d '2020-01-02 03:04:05' sync/numbers.txt sync/x");
  {
    Mount m(fx, home, {"--pacer-rate", "0"});
    // git: init, add, commit (lock files, renames, many small objects).
    Bash(m.dir(),
         "mkdir repo && cd repo && git init -q && echo hello > README && "
         "git add README && git commit -qm first && git log --oneline | "
         "grep -q first && git status --porcelain | wc -l | grep -qx 0");
    // tar x and rsync -a into the mount.
    Bash(m.dir(), "mkdir untar && tar xf '" + home.path() +
                      "/tree.tar' -C untar && cmp untar/a/b/2.txt '" +
                      home.path() + "/tree/a/b/2.txt'");
    Bash(m.dir(), "rsync -a '" + home.path() +
                      "/sync/' synced/ && "
                      "cmp synced/numbers.txt '" +
                      home.path() + "/sync/numbers.txt'");
    // Python writes a CSV and reads it back in the same process.
    Bash(m.dir(),
         "python3 -c \"import csv\n"
         "with open('t.csv', 'w', newline='') as f:\n"
         "    csv.writer(f).writerows([[i, i * i] for i in range(1000)])\n"
         "with open('t.csv') as f:\n"
         "    rows = list(csv.reader(f))\n"
         "assert len(rows) == 1000 and rows[999] == ['999', '998001'], rows[-1]"
         "\"");
    // rename over an existing file, mv of a directory, truncate/extend,
    // O_APPEND.
    Bash(m.dir(),
         "echo old > victim && echo new > incoming && mv incoming victim && "
         "test \"$(cat victim)\" = new && test ! -e incoming && "
         "mv untar moved && test -f moved/a/1.txt && test ! -e untar && "
         "printf 0123456789 > t && truncate -s 4 t && test \"$(cat t)\" = 0123"
         " && truncate -s 8 t && test $(stat -c %s t) = 8 && "
         "echo a > log && echo b >> log && test \"$(cat log)\" = "
         "\"$(printf 'a\\nb')\"");
    REQUIRE(m.Unmount() == 0);
  }
  // A new mount (same state) sees all of it, and so does Drive.
  std::map<std::string, std::string> on_drive;
  Walk(fx, fx.emu().store().root_id(), "", &on_drive);
  CHECK(on_drive.count("repo/README") == 1);
  CHECK(on_drive["victim"] == testing::Md5Hex("new\n"));
  CHECK(on_drive.count("incoming") == 0);
  CHECK(on_drive["moved/a/b/2.txt"] == testing::Md5Hex("two\n"));
  CHECK(on_drive["synced/numbers.txt"] ==
        testing::Md5Hex(ReadFile(home.path() + "/sync/numbers.txt")));
  CHECK(on_drive["t"] == testing::Md5Hex(std::string("0123\0\0\0\0", 8)));
  CHECK(on_drive["log"] == testing::Md5Hex("a\nb\n"));
  CHECK(on_drive.count("t.csv") == 1);
  {
    Mount m(fx, home);
    Bash(m.dir(),
         "cd repo && git log --oneline | grep -q first && "
         "git fsck --no-progress && cat README | grep -qx hello");
    // rsync -a kept the times (set after writing, while the bytes were
    // still journaled), so a second rsync finds every file up to date.
    const std::string src = home.path() + "/sync/";
    Bash(m.dir(), "test $(stat -c %Y synced/numbers.txt) = $(stat -c %Y '" +
                      src +
                      "numbers.txt') && test -z \"$(rsync -a "
                      "--itemize-changes '" +
                      src +
                      "' synced/ | grep -v "
                      "'^\\.d')\"");
  }
}

TEST_CASE("kill -9 mid-upload: the next mount uploads every closed file once",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions slow;
  // Every upload request (each 1 MiB chunk too) answers after 150 ms, so
  // the uploads are still running when the daemon is killed.
  slow.shaping.metadata_latency_ms = 150;
  EmulatorFixture fx(slow);
  testing::TempDir home;
  Bash(home.path(),
       "mkdir src && for i in 1 2 3 4 5; do head -c 12000000 /dev/urandom > "
       "src/big$i.bin; done && for i in $(seq 1 30); do echo $i > "
       "src/s$i.txt; done");
  {
    Mount m(fx, home, {"--pacer-rate", "0", "--upload-chunk-size", "1048576"});
    Bash(m.dir(), "cp -r '" + home.path() + "/src' dst");
    // Closed (journaled), not yet uploaded: kill the daemon outright.
    CHECK(m.Signal(SIGKILL).has_value());
    // The guard removes the dead mount.
  }
  CHECK_FALSE(Mounted(home.path() + "/drive"));
  {
    Mount m(fx, home, {"--pacer-rate", "0"});
    REQUIRE(m.Unmount() == 0);
    CHECK_THAT(m.Log(), Catch::Contains("resuming"));
  }
  std::map<std::string, std::string> on_drive;
  Walk(fx, e2e::IdAt(fx, fx.emu().store().root_id(), "dst"), "", &on_drive);
  CHECK(on_drive == LocalMd5s(home.path() + "/src"));
}

TEST_CASE("kill -9 mid-chunk resumes the upload, an unclosed file stays empty",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions slow;
  slow.shaping.metadata_latency_ms = 150;  // every chunk answers slowly
  EmulatorFixture fx(slow);
  testing::TempDir home;
  constexpr int kChunks = 16;  // of 1 MiB
  Bash(home.path(),
       "head -c " + std::to_string(kChunks << 20) + " /dev/urandom > big.bin");
  {
    Mount m(fx, home, {"--pacer-rate", "0", "--upload-chunk-size", "1048576"});
    Bash(m.dir(), "cp '" + home.path() + "/big.bin' big.bin");
    // A writer that never closes: created (journaled empty), then written.
    Subprocess writer(
        {"python3", "-c",
         "import sys, time\nf = open(sys.argv[1], 'wb')\nf.write(b'x' * "
         "5000)\nf.flush()\nprint('written', flush=True)\ntime.sleep(600)",
         m.dir() + "/open.txt"});
    REQUIRE(writer.ReadLine(kWait) == std::optional<std::string>("written"));
    // Kill once some chunks of big.bin are on the emulator (bounded wait).
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (e2e::Method(fx, "upload.chunk") < 4 &&
           std::chrono::steady_clock::now() < deadline) {
      Subprocess idle({"sleep", "0.05"});
      idle.Wait(kWait);
    }
    REQUIRE(e2e::Method(fx, "upload.chunk") >= 4);
    CHECK(m.Signal(SIGKILL).has_value());
    writer.Kill(SIGKILL);
  }
  const int64_t chunks_before = e2e::Method(fx, "upload.chunk");
  {
    Mount m(fx, home, {"--pacer-rate", "0", "--upload-chunk-size", "1048576"});
    REQUIRE(m.Unmount() == 0);
  }
  std::map<std::string, std::string> on_drive;
  Walk(fx, fx.emu().store().root_id(), "", &on_drive);
  CHECK(on_drive["big.bin"] ==
        testing::Md5Hex(ReadFile(home.path() + "/big.bin")));
  // Bytes written but never closed are not promised; the create was.
  CHECK(on_drive["open.txt"] == testing::Md5Hex(""));
  CHECK(on_drive.size() == 2);
  // Resumed where Drive said it stopped, not sent again from the start:
  // with the same 1 MiB chunks, a restart would send all 16 again after
  // the 4+ sent before the kill; a resume sends one status query, the
  // chunk the kill cut, and the ones never sent.
  const int64_t chunks_after = e2e::Method(fx, "upload.chunk") - chunks_before;
  INFO(chunks_before << " chunk requests before the kill, " << chunks_after
                     << " after");
  CHECK(chunks_after < kChunks);
  CHECK(chunks_before + chunks_after <= kChunks + 2);
}

TEST_CASE("A second Ctrl-C stops the unmount's wait, the next mount uploads",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions slow;
  slow.shaping.metadata_latency_ms = 150;  // every chunk answers slowly
  EmulatorFixture fx(slow);
  testing::TempDir home;
  // 48 chunks of 1 MiB at 150 ms each over 4 upload threads: about 2 s
  // of uploading left when the second Ctrl-C comes.
  Bash(home.path(),
       "mkdir src && for i in 1 2 3 4; do head -c 12582912 /dev/urandom > "
       "src/big$i.bin; done");
  {
    Mount m(fx, home, {"--pacer-rate", "0", "--upload-chunk-size", "1048576"});
    Bash(m.dir(), "cp -r '" + home.path() + "/src' dst");
    m.Send(SIGINT);  // unmounts, then waits for the uploads
    REQUIRE(m.WaitUnmounted());
    m.Send(SIGINT);  // stop waiting
    CHECK(m.WaitExit() == 0);
    INFO(m.Log());
    CHECK_THAT(m.Log(), Catch::Contains("Ctrl-C stops waiting"));
    CHECK_THAT(m.Log(), Catch::Contains("not uploaded yet"));
  }
  {
    Mount m(fx, home, {"--pacer-rate", "0"});
    REQUIRE(m.Unmount() == 0);
    CHECK_THAT(m.Log(), Catch::Contains("resuming"));
    CHECK_THAT(m.Log(), Catch::Contains("every written file is on Drive"));
  }
  std::map<std::string, std::string> on_drive;
  Walk(fx, e2e::IdAt(fx, fx.emu().store().root_id(), "dst"), "", &on_drive);
  CHECK(on_drive == LocalMd5s(home.path() + "/src"));
}

// Applies seeded random operations (tests/e2e/model_ops.py) to DIR in the
// mount and in the local model directory alike; fails unless they agree.
void RunModel(const std::string& home, const std::string& mount_dir,
              const std::string& model, const std::string& dir, int seed,
              int steps) {
  const std::string script =
      std::string(GDMOUNT_SOURCE_DIR) + "/tests/e2e/model_ops.py";
  const std::string in_mount = mount_dir + "/" + dir;
  const std::string in_model = model + "/" + dir;
  Bash(home, "mkdir -p '" + in_mount + "' '" + in_model + "' && python3 '" +
                 script + "' '" + in_mount + "' '" + in_model + "' " +
                 std::to_string(seed) + " " + std::to_string(steps));
}

// What reached Drive is the model (every file's bytes, every folder, no
// duplicates), and a new mount shows the same tree.
void CheckDriveIsModel(EmulatorFixture& fx, const testing::TempDir& home,
                       const std::string& model) {
  std::map<std::string, std::string> on_drive;
  Walk(fx, fx.emu().store().root_id(), "", &on_drive, /*with_dirs=*/true);
  CHECK(on_drive == LocalMd5s(model, /*with_dirs=*/true));
  Mount again(fx, home);
  Bash(home.path(),
       "diff -r -x .Trash -x .shared '" + model + "' '" + again.dir() + "'");
}

TEST_CASE("Random operations on the mount and on a local model agree",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  testing::TempDir home;
  const std::string model = home.path() + "/model";
  // Three seeds in CI; GDMOUNT_MODEL_SEEDS=N runs seeds 1..N (a longer run).
  std::vector<int> seeds = {1, 2, 3};
  if (const char* n = std::getenv("GDMOUNT_MODEL_SEEDS")) {
    seeds.clear();
    for (int i = 1; i <= std::atoi(n); ++i) seeds.push_back(i);
  }
  {
    Mount m(fx, home, {"--pacer-rate", "0"});
    for (int seed : seeds)
      RunModel(home.path(), m.dir(), model, "s" + std::to_string(seed), seed,
               150);
    REQUIRE(m.Unmount() == 0);
  }
  CheckDriveIsModel(fx, home, model);
}

TEST_CASE("kill -9 after random operations: the remount reaches the model",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions slow;
  // Every request answers after 100 ms: uploads lag behind the closes,
  // so each kill finds work journaled and some of it in flight.
  slow.shaping.metadata_latency_ms = 100;
  EmulatorFixture fx(slow);
  testing::TempDir home;
  const std::string model = home.path() + "/model";
  // Seed, steps: two kills at different depths, the second one into a
  // mount that is still resuming what the first left.
  for (auto [seed, steps] : {std::pair{4, 60}, std::pair{5, 140}}) {
    Mount m(fx, home, {"--pacer-rate", "0"});
    const std::string dir = "k" + std::to_string(seed);
    RunModel(home.path(), m.dir(), model, dir, seed, steps);
    // The uploads may have caught up with the last step (a busy machine
    // runs the steps slowly): a file closed just now is still journaled
    // (its upload takes 100 ms at least).
    Bash(home.path(), "head -c 100000 /dev/urandom | tee '" + m.dir() + "/" +
                          dir + "/last.bin' > '" + model + "/" + dir +
                          "/last.bin'");
    CHECK(m.Signal(SIGKILL).has_value());
  }
  // What the dead daemon left journaled (a stall of over 100 ms before
  // the kill could have let the last upload through).
  size_t journaled = 0;
  {
    auto store = meta::MetadataStore::Open(home.path() +
                                           "/state/gdmount/default/meta.db");
    REQUIRE(store.ok());
    auto rows = (*store)->PendingUploads();
    REQUIRE(rows.ok());
    journaled = rows->size();
  }
  {
    Mount m(fx, home, {"--pacer-rate", "0"});
    REQUIRE(m.Unmount() == 0);
    INFO(m.Log());
    if (journaled > 0)
      CHECK_THAT(m.Log(),
                 Catch::Contains("resuming " + std::to_string(journaled) +
                                 " journaled upload"));
    else
      WARN("every upload landed before the last kill: nothing to resume");
    CHECK_THAT(m.Log(), Catch::Contains("every written file is on Drive"));
  }
  CheckDriveIsModel(fx, home, model);
}

TEST_CASE("Writes complete byte-exact with 20% of requests failing",
          "[e2e][write]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  testing::TempDir home;
  Bash(home.path(),
       "mkdir -p src/a/b && for i in 1 2; do head -c 9000000 /dev/urandom > "
       "src/big$i.bin; done && for i in $(seq 1 40); do echo $i > "
       "src/a/s$i.txt; done && echo deep > src/a/b/deep.txt");
  {
    Mount m(fx, home,
            {"--pacer-rate", "0", "--upload-chunk-size", "1048576",
             "--multipart-threshold", "262144"});
    // Faults from now on, on every kind of request but sign-in.
    auto r = fx.Call(
        "POST", "/__emulator/faults",
        R"({"faults": ["503:rate=0.05", "429:rate=0.05", "reset:rate=0.05",)"
        R"( "truncate:rate=0.05"]})",
        {"Content-Type: application/json"});
    REQUIRE(r.status == 200);
    Bash(m.dir(), "cp -r '" + home.path() +
                      "/src' dst && mv dst/a dst/z && "
                      "rm dst/z/s1.txt && echo again > dst/z/s2.txt");
    REQUIRE(m.Unmount() == 0);
    CHECK_THAT(m.Log(), Catch::Contains("every written file is on Drive"));
  }
  // The faults did happen, by the emulator's count.
  int64_t fired = 0, seen = 0;
  const nlohmann::json described = fx.Call("GET", "/__emulator/faults").json();
  for (const auto& rule : described["faults"]) {
    fired += rule["fired"].get<int64_t>();
    seen = std::max(seen, rule["seen"].get<int64_t>());
  }
  INFO(seen << " requests, " << fired << " faults");
  CHECK(fired >= 10);
  // The check below must not be faulted itself.
  auto cleared = fx.Call("POST", "/__emulator/faults", R"({"faults": []})",
                         {"Content-Type: application/json"});
  REQUIRE(cleared.status == 200);
  INFO(fx.Call("GET", "/__emulator/stats").body);
  Bash(home.path(),
       "mv src/a src/z && rm src/z/s1.txt && "
       "echo again > src/z/s2.txt");
  std::map<std::string, std::string> on_drive;
  Walk(fx, e2e::IdAt(fx, fx.emu().store().root_id(), "dst"), "", &on_drive,
       /*with_dirs=*/true);
  CHECK(on_drive == LocalMd5s(home.path() + "/src", /*with_dirs=*/true));
}

TEST_CASE("A read-only mount refuses writes with EROFS", "[e2e][write]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  fx.Upload("keep.txt", "kept");
  testing::TempDir home;
  const int64_t writes_before = Writes(fx);
  Mount m(fx, home, {"-o", "ro"});
  const std::string path = m.dir() + "/new.txt";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  CHECK(fd < 0);
  CHECK(errno == EROFS);
  fd = ::open((m.dir() + "/keep.txt").c_str(), O_WRONLY);
  CHECK(fd < 0);
  CHECK(errno == EROFS);
  CHECK(::mkdir((m.dir() + "/d").c_str(), 0755) != 0);
  CHECK(errno == EROFS);
  CHECK(ReadFile(m.dir() + "/keep.txt") == "kept");
  // Nothing reached Drive: no create, update or upload since the mount.
  CHECK(Writes(fx) == writes_before);
}

}  // namespace
}  // namespace gdmount
