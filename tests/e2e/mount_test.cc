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

#include "tests/e2e/e2e_support.h"
#include "tests/emulator/blob.h"
#include "tests/emulator/seed.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::Find;
using e2e::IdAt;
using e2e::kWait;
using e2e::Lines;
using e2e::Method;
using e2e::Mount;
using e2e::Mounted;
using e2e::Run;
using e2e::Shortcut;
using e2e::Trash;
using testing::EmulatorFixture;
using testing::Subprocess;

TEST_CASE("A mounted Drive reads byte-exact with find and md5sum", "[e2e]") {
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    WARN("no /dev/fuse: end-to-end mount test skipped");
    return;
  }
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec(
                "train/=40x20K,big.bin=300M,empty/=2x0,deep/a/b/c/=2x1K",
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
  // Shortcuts: to a file, to a folder from deep inside, and to a file that
  // is then trashed (not reachable in the mount).
  std::string root_id = fx.emu().store().root_id();
  std::string train = IdAt(fx, root_id, "train");
  std::string deep_a = IdAt(fx, IdAt(fx, root_id, "deep"), "a");
  Shortcut(fx, "first-sample", root_id, IdAt(fx, train, "000001.bin"));
  Shortcut(fx, "train-link", deep_a, train);
  std::string doomed = fx.Upload("doomed.txt", "soon in the trash")["id"];
  Shortcut(fx, "dangling", root_id, doomed);
  Trash(fx, doomed);
  // Trashed items: a file, and a folder whose child is trashed with it.
  Trash(fx, fx.Upload("old.txt", "an old file")["id"]);
  std::string old_folder = fx.Mkdir("old-folder")["id"];
  fx.Upload("inner.txt", "inside a trashed folder", old_folder);
  Trash(fx, old_folder);
  fx.AdvanceMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() -
               fx.now_ms());
  // Ground truth: every file's md5 as Drive reports it (trashed ones are
  // in .Trash).
  auto all = fx.Call(
      "GET",
      "/drive/v3/files?pageSize=1000&fields=files(name,md5Checksum,mimeType)");
  nlohmann::json files = all.json()["files"];
  std::multiset<std::string> expected_md5;
  for (const auto& f : files)
    if (f.contains("md5Checksum"))
      expected_md5.insert(f["md5Checksum"].get<std::string>());
  testing::TempDir home;
  Mount m(fx, home, {"--xattrs"});

  // find lists exactly the expected paths.
  std::set<std::string> expected = {"big.bin",
                                    "empty/000001.bin",
                                    "empty/000002.bin",
                                    "deep/a/b/c/000001.bin",
                                    "deep/a/b/c/000002.bin",
                                    "twin.txt",
                                    "a\u2215b.txt",
                                    "notes.docx",
                                    ".Trash/doomed.txt",
                                    ".Trash/old.txt",
                                    ".Trash/old-folder/inner.txt"};
  for (int i = 1; i <= 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "train/%06d.bin", i);
    expected.insert(name);
  }
  std::set<std::string> regular = Find(m.dir(), "f");
  std::vector<std::string> twins;
  for (const auto& p : regular)
    if (p.rfind("twin (", 0) == 0) twins.push_back(p);
  REQUIRE(twins.size() == 1);  // the younger twin, told apart by its id
  regular.erase(twins[0]);
  CHECK(regular == expected);
  CHECK(Find(m.dir(), "l") ==
        std::set<std::string>{"first-sample", "deep/a/train-link", "dangling"});
  CHECK(Find(m.dir(), "d") ==
        std::set<std::string>{"train", "empty", "deep", "deep/a", "deep/a/b",
                              "deep/a/b/c", ".Trash", ".Trash/old-folder",
                              ".shared"});

  // Every regular file's md5 through the mount equals Drive's (the 300 MiB
  // one included).
  std::multiset<std::string> got_md5;
  regular.insert(twins[0]);
  for (const auto& p : regular) {
    if (p == "notes.docx") continue;
    got_md5.insert(Run({"md5sum", m.dir() + "/" + p}).substr(0, 32));
  }
  CHECK(got_md5 == expected_md5);
  // The Doc reads back as its export; '/' and twins are visible.
  CHECK(Run({"md5sum", m.dir() + "/notes.docx"}).substr(0, 32) ==
        testing::Md5Hex(exported.body));
  CHECK(Run({"cat", m.dir() + "/a\u2215b.txt"}) == "a name with a slash\n");
  CHECK(Run({"cat", m.dir() + "/.Trash/old-folder/inner.txt"}) ==
        "inside a trashed folder\n");

  // Shortcuts are relative symlinks, followed by ordinary tools.
  CHECK(Run({"readlink", m.dir() + "/first-sample"}) == "train/000001.bin\n");
  CHECK(Run({"readlink", m.dir() + "/deep/a/train-link"}) == "../../train\n");
  CHECK(Run({"md5sum", m.dir() + "/first-sample"}).substr(0, 32) ==
        Run({"md5sum", m.dir() + "/train/000001.bin"}).substr(0, 32));
  CHECK(Lines(Run({"ls", m.dir() + "/deep/a/train-link/"})).size() == 40);
  // A shortcut whose target is not in the mount: a clear error.
  CHECK(Run({"python3", "-c",
             "import os,sys\n"
             "try: os.readlink(sys.argv[1])\n"
             "except OSError as e: print(os.strerror(e.errno))",
             m.dir() + "/dangling"}) == "Link has been severed\n");
  CHECK(m.Log().find(doomed + " is in the trash") != std::string::npos);

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

  // Writable (tests/e2e/write_test.cc), except the read-only .Trash view.
  CHECK(access((m.dir() + "/train").c_str(), W_OK) == 0);
  CHECK(access((m.dir() + "/.Trash").c_str(), W_OK) != 0);
  CHECK(m.Unmount() == 0);
  CHECK_FALSE(Mounted(m.dir()));

  // A remount keeps inode numbers and needs no listing of a known folder.
  int64_t lists_before = Method(fx, "files.list");
  Mount again(fx, home);
  CHECK(Run({"stat", "-c", "%i", again.dir() + "/train/000001.bin"}) ==
        ino_before);
  CHECK(Method(fx, "files.list") == lists_before);
  // SIGTERM: the daemon unmounts and exits cleanly.
  CHECK(again.Signal(SIGTERM) == 0);
  CHECK_FALSE(Mounted(again.dir()));
}

TEST_CASE("Mounting a chosen root folder or a shared drive", "[e2e]") {
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    WARN("no /dev/fuse: end-to-end mount test skipped");
    return;
  }
  std::string team;
  EmulatorFixture fx({}, [&team](emulator::Emulator& emu) {
    auto& store = emu.store();
    REQUIRE(
        emulator::GenerateFromSpec("datasets/pets/=3x1K,other/=1x1K", &store)
            .ok());
    team = store.SeedSharedDrive("Team");
    emulator::FileRecord rec;
    rec.name = "r.txt";
    rec.mime_type = "text/plain";
    rec.content = std::make_shared<emulator::InlineBlob>("team results\n");
    store.SeedFile(store.SeedFolder(team, "results"), rec);
  });
  testing::TempDir home;
  std::string datasets = IdAt(fx, fx.emu().store().root_id(), "datasets");
  {
    Mount pets(fx, home, {"--root-folder", "/datasets/pets"});
    CHECK(Find(pets.dir(), "f") ==
          std::set<std::string>{"000001.bin", "000002.bin", "000003.bin"});
    CHECK(Find(pets.dir(), "d").empty());  // no .Trash or .shared here
    CHECK(pets.Unmount() == 0);
  }
  {
    Mount by_id(fx, home, {"--root-folder", datasets});
    CHECK(Run({"ls", "-a", by_id.dir()}) == ".\n..\npets\n");
    CHECK(by_id.Unmount() == 0);
  }
  // The shared drives the account sees, then one mounted as the root.
  std::map<std::string, std::string> env{
      {"XDG_CONFIG_HOME", home.path() + "/config"}};
  Subprocess drives({GDMOUNT_BIN, "--endpoint", fx.url(), "drives"}, env);
  auto line = drives.ReadLine(kWait);
  REQUIRE(line);
  CHECK(*line == team + "\tTeam");
  CHECK(drives.Wait(kWait) == 0);
  {
    Mount shared(fx, home, {"--shared-drive", team});
    CHECK(Find(shared.dir(), "f") == std::set<std::string>{"results/r.txt"});
    CHECK(Run({"cat", shared.dir() + "/results/r.txt"}) == "team results\n");
    CHECK(shared.Unmount() == 0);
  }
  // A root that does not exist: a clear error, nothing mounted.
  std::string dir = home.path() + "/nowhere";
  mkdir(dir.c_str(), 0755);
  Subprocess bad({GDMOUNT_BIN, "--endpoint", fx.url(), "mount", dir, "-f",
                  "--root-folder", "/datasets/nope"},
                 {{"XDG_CONFIG_HOME", home.path() + "/config"},
                  {"XDG_STATE_HOME", home.path() + "/state"},
                  {"XDG_CACHE_HOME", home.path() + "/cache"}});
  CHECK(bad.Wait(kWait) == 1);
  CHECK(bad.Stderr().find("no folder /datasets/nope on Drive") !=
        std::string::npos);
  CHECK_FALSE(Mounted(dir));
}

// What Python sees for `op` ("list" a folder, "read" a file): "ok N" (entries
// or bytes) or the errno's name.
std::string Try(const std::string& op, const std::string& path) {
  return Run({"python3", "-c",
              "import errno,os,sys\n"
              "try:\n"
              "  if sys.argv[1] == 'list': n = len(os.listdir(sys.argv[2]))\n"
              "  else: n = len(open(sys.argv[2], 'rb').read())\n"
              "  print('ok', n)\n"
              "except OSError as e: print(errno.errorcode[e.errno])",
              op, path});
}

void SetFaults(EmulatorFixture& fx, const std::string& rule) {
  std::string body =
      rule.empty() ? R"({"faults":[]})" : R"({"faults":[")" + rule + R"("]})";
  REQUIRE(fx.Raw("POST", "/__emulator/faults", body).status == 200);
}

TEST_CASE("What others shared with the user is under .shared", "[e2e]") {
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    WARN("no /dev/fuse: end-to-end mount test skipped");
    return;
  }
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(
        emulator::GenerateFromSpec("project/=3x2K,alone.bin=5K", &emu.store())
            .ok());
  });
  std::string root_id = fx.emu().store().root_id();
  std::string project = IdAt(fx, root_id, "project");
  std::string alone = IdAt(fx, root_id, "alone.bin");
  for (const std::string& id : {project, alone})
    REQUIRE(fx.Raw("POST", "/__emulator/share?id=" + id).status == 200);
  // A shortcut in My Drive to a file inside the shared folder.
  Shortcut(fx, "shared-sample", root_id, IdAt(fx, project, "000002.bin"));
  testing::TempDir home;
  Mount m(fx, home);
  CHECK(Find(m.dir(), "f") ==
        std::set<std::string>{".shared/alone.bin", ".shared/project/000001.bin",
                              ".shared/project/000002.bin",
                              ".shared/project/000003.bin"});
  CHECK(Run({"readlink", m.dir() + "/shared-sample"}) ==
        ".shared/project/000002.bin\n");
  // Without --xattrs there are none, and the kernel is told so once.
  CHECK(Run({"python3", "-c",
             "import errno,os,sys\n"
             "try: os.getxattr(sys.argv[1], 'user.gdmount.id')\n"
             "except OSError as e: print(errno.errorcode[e.errno])",
             m.dir() + "/.shared/alone.bin"}) == "ENOTSUP\n");
  CHECK(Run({"md5sum", m.dir() + "/shared-sample"}).substr(0, 32) ==
        Run({"md5sum", m.dir() + "/.shared/project/000002.bin"}).substr(0, 32));
  // A daemon killed outright leaves a dead mount; the guard's fusermount3
  // still removes it, so no test leaves a hung mount behind.
  CHECK(m.Signal(SIGKILL).has_value());
  CHECK(Mounted(m.dir()));
  m.Unmount();
  CHECK_FALSE(Mounted(m.dir()));
}

TEST_CASE("Bad answers from Drive are EIO for that operation, never bad bytes",
          "[e2e]") {
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    WARN("no /dev/fuse: end-to-end mount test skipped");
    return;
  }
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec(
                "f1/=2x10K,f2/=2x10K,f3/=2x10K,f4/=2x10K", &emu.store())
                .ok());
  });
  testing::TempDir home;
  Mount m(fx, home);
  std::string d = m.dir();

  // Malformed JSON in a listing: that listing fails; a later one works.
  SetFaults(fx, "malformed:nth=1:method=files.list");
  CHECK(Try("list", d + "/f1") == "EIO\n");
  SetFaults(fx, "");
  CHECK(Try("list", d + "/f1") == "ok 2\n");

  // A file without its size: the listing is refused, not stored as empty.
  SetFaults(fx, "omit:nth=1:field=size:method=files.list");
  CHECK(Try("list", d + "/f2") == "EIO\n");
  SetFaults(fx, "");
  CHECK(Try("read", d + "/f2/000001.bin") == "ok 10240\n");

  // Sizes that disagree with the bytes, larger or smaller: reads fail.
  for (const char* folder : {"f3", "f4"}) {
    INFO(folder);
    SetFaults(fx, std::string("badsize:nth=1:method=files.list:delta=") +
                      (folder == std::string("f3") ? "1000" : "-1000"));
    CHECK(Try("list", d + "/" + folder) == "ok 2\n");
    CHECK(Try("read", d + "/" + folder + "/000001.bin") == "EIO\n");
  }
  SetFaults(fx, "");
  CHECK(fx.Stats()["faults_injected"]["badsize"] == 2);

  // Each failure was logged; the daemon is alive and still serves.
  std::string log = m.Log();
  CHECK(log.find("opendir") != std::string::npos);
  CHECK(log.find("size: missing for a file with content") != std::string::npos);
  CHECK(log.find("delivered") != std::string::npos);
  CHECK(log.find("md5") != std::string::npos);
  CHECK(Try("read", d + "/f1/000002.bin") == "ok 10240\n");
  CHECK(m.Unmount() == 0);
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
