// The change feed against the emulator: changes made "elsewhere" (straight
// through the emulator's API) reach the store, the folder views, the
// content cache and the kernel notifier after one Poll, with no folder
// listed again; the token survives a restart; a rejected token falls back
// to listing again.
#include "vfs/change_feed.h"

#include <fcntl.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <utility>

#include "tests/support/drive_rig.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/fs_read.h"
#include "tests/support/temp_dir.h"
#include "vfs/filesystem.h"

namespace gdmount::vfs {
namespace {

using testing::EmulatorFixture;
using testing::Q;

std::string Pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + i / 977 + seed * 17) & 0xff);
  return s;
}

// Records what the kernel would be told.
struct RecordingNotifier : KernelNotifier {
  void InvalidateEntry(uint64_t parent, const std::string& name) override {
    entries.insert({parent, name});
  }
  void InvalidateInode(uint64_t ino) override { inodes.insert(ino); }
  std::set<std::pair<uint64_t, std::string>> entries;
  std::set<uint64_t> inodes;
};

// The read stack plus a feed, over a state directory that can be reopened.
struct FeedStack {
  FeedStack(EmulatorFixture& fx, const std::string& dir) : drive(fx, 13) {
    drive::DriveClient* client = drive.client.get();
    store = std::move(meta::MetadataStore::Open(dir + "/meta.db").value());
    tree = std::make_unique<Tree>(store.get(), client, RealClock());
    REQUIRE(tree->Init().ok());
    cache::ContentCacheOptions co;
    co.dir = dir + "/cache";
    co.chunk_size = 256 * 1024;
    cache = std::move(cache::ContentCache::Open(co, client).value());
    ChangeFeedOptions o;
    o.interval = std::chrono::milliseconds(0);  // polled by the test
    o.page_size = 1000;
    feed = std::make_unique<ChangeFeed>(store.get(), client, tree.get(),
                                        cache.get(), o);
    REQUIRE(feed->Init().ok());
    feed->SetNotifier(&notifier);
    fs = std::make_unique<Filesystem>(tree.get(), store.get(), cache.get(),
                                      client, FsOptions());
  }
  size_t Poll() {
    auto n = feed->Poll();
    INFO(n.status().ToString());
    REQUIRE(n.ok());
    return *n;
  }
  std::optional<uint64_t> Find(uint64_t parent, const std::string& name) {
    auto a = fs->Lookup(parent, name);
    if (!a.ok()) {
      CHECK(a.status().code() == StatusCode::kNotFound);
      return std::nullopt;
    }
    return a->ino;
  }
  std::string ReadAll(uint64_t ino) {
    return testing::ReadAllThrough(*fs, ino);
  }
  std::vector<std::string> Names(uint64_t folder) {
    auto listed = fs->ReadDir(folder);
    REQUIRE(listed.ok());
    std::vector<std::string> out;
    for (const Child& c : **listed) out.push_back(c.name);
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::DriveRig drive;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<Tree> tree;
  std::unique_ptr<cache::ContentCache> cache;
  std::unique_ptr<ChangeFeed> feed;
  std::unique_ptr<Filesystem> fs;
  RecordingNotifier notifier;
};

int64_t Calls(EmulatorFixture& fx, const std::string& method) {
  nlohmann::json stats = fx.Stats();
  return stats["methods"].value(method, int64_t{0});
}

TEST_CASE("Changes made elsewhere reach the mount after one poll",
          "[integration][changes]") {
  EmulatorFixture fx;
  auto docs = fx.Mkdir("docs");
  auto deep1 = fx.Mkdir("a");
  auto deep2 = fx.Mkdir("b", deep1["id"]);
  auto deep3 = fx.Mkdir("c", deep2["id"]);
  auto keep = fx.Upload("keep.txt", "old bytes");
  auto rename_me = fx.Upload("before.txt", "r");
  auto move_me = fx.Upload("move.txt", "m");
  auto trash_me = fx.Upload("trash.txt", "t");
  auto delete_me = fx.Upload("delete.txt", "d");
  testing::TempDir dir;
  FeedStack s(fx, dir.path());
  // Everything this test looks at is listed (and keep.txt read) once.
  CHECK(s.Names(kRootIno) ==
        std::vector<std::string>{".Trash", ".shared", "a", "before.txt",
                                 "delete.txt", "docs", "keep.txt", "move.txt",
                                 "trash.txt"});
  const uint64_t docs_ino = *s.Find(kRootIno, "docs");
  CHECK(s.Names(docs_ino).empty());
  const uint64_t c_ino = *s.Find(*s.Find(*s.Find(kRootIno, "a"), "b"), "c");
  CHECK(s.Names(c_ino).empty());
  const uint64_t keep_ino = *s.Find(kRootIno, "keep.txt");
  CHECK(s.ReadAll(keep_ino) == "old bytes");
  const uint64_t delete_ino = *s.Find(kRootIno, "delete.txt");
  const int64_t lists_before = Calls(fx, "files.list");

  // Elsewhere:
  fx.Upload("new.txt", "fresh", "root");
  fx.Upload("deep.txt", "deep", deep3["id"]);
  fx.Patch(rename_me["id"], "", {{"name", "after.txt"}});
  fx.Patch(move_me["id"],
           "?addParents=" + std::string(docs["id"]) + "&removeParents=root",
           nlohmann::json::object());
  fx.Patch(trash_me["id"], "", {{"trashed", true}});
  REQUIRE(fx.Call("DELETE", "/drive/v3/files/" + std::string(delete_me["id"]))
              .status == 204);
  fx.PutContent(keep["id"], "new bytes, longer");

  REQUIRE(s.cache->stats().files == 1);  // keep.txt's old bytes
  CHECK(s.Poll() == 7);
  // The old version's cached bytes are reclaimed at once (no handle holds
  // them).
  CHECK(s.cache->stats().files == 0);
  CHECK(s.cache->stats().bytes_cached == 0);
  CHECK(s.Names(kRootIno) == std::vector<std::string>{".Trash", ".shared", "a",
                                                      "after.txt", "docs",
                                                      "keep.txt", "new.txt"});
  CHECK(s.Names(docs_ino) == std::vector<std::string>{"move.txt"});
  CHECK(s.Names(c_ino) == std::vector<std::string>{"deep.txt"});
  CHECK(s.ReadAll(*s.Find(c_ino, "deep.txt")) == "deep");
  CHECK(s.ReadAll(keep_ino) == "new bytes, longer");  // same inode
  auto attr = s.fs->GetAttr(keep_ino);
  REQUIRE(attr.ok());
  CHECK(attr->size == 17);
  // No folder was listed again: the views were updated from the changes.
  CHECK(Calls(fx, "files.list") == lists_before);
  // The kernel hears of every name that came or went, and of the inodes
  // whose content or attributes changed.
  const auto& told = s.notifier.entries;
  for (const char* name : {"new.txt", "before.txt", "after.txt", "move.txt",
                           "trash.txt", "delete.txt"})
    CHECK(told.count({kRootIno, name}) == 1);
  CHECK(told.count({docs_ino, "move.txt"}) == 1);
  CHECK(told.count({c_ino, "deep.txt"}) == 1);
  CHECK(s.notifier.inodes.count(keep_ino) == 1);
  CHECK(s.notifier.inodes.count(delete_ino) == 1);
  // A poll with nothing new changes nothing and tells nothing.
  s.notifier.entries.clear();
  s.notifier.inodes.clear();
  CHECK(s.Poll() == 0);
  CHECK(s.notifier.entries.empty());
  CHECK(s.notifier.inodes.empty());
}

TEST_CASE("A reader of a replaced version gets ESTALE, never new bytes",
          "[integration][changes]") {
  EmulatorFixture fx;
  constexpr size_t kSize = 8 << 20;  // past the first read's read-ahead
  const std::string v1 = Pattern(kSize, 1), v2 = Pattern(kSize, 2);
  auto f = fx.Upload("big.bin", v1);
  testing::TempDir dir;
  FeedStack s(fx, dir.path());
  const uint64_t ino = *s.Find(kRootIno, "big.bin");
  auto opened = s.fs->Open(ino, O_RDONLY);
  REQUIRE(opened.ok());
  std::string head(4096, '\0');
  REQUIRE(s.fs->Read(opened->fh, 0, head.data(), head.size()).value() == 4096);
  CHECK(head == v1.substr(0, 4096));
  fx.PutContent(f["id"], v2);
  // Before the feed knows, the handle reads its version from the cache.
  REQUIRE(s.fs->Read(opened->fh, 100, head.data(), head.size()).value() ==
          4096);
  CHECK(head == v1.substr(100, 4096));
  CHECK(s.Poll() == 1);
  // After, nothing of the old version: not the part Drive would now send
  // new bytes for, and not the cached part either (the kernel's page cache
  // is shared with readers of the new version).
  for (int64_t at : {int64_t{100}, static_cast<int64_t>(kSize - 4096)}) {
    auto r = s.fs->Read(opened->fh, at, head.data(), 4096);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kPreconditionFailed);  // ESTALE
  }
  s.fs->Release(opened->fh);
  // A new open reads the new version whole.
  CHECK(s.ReadAll(ino) == v2);
}

TEST_CASE("A restart catches up from the saved token without listing again",
          "[integration][changes]") {
  EmulatorFixture fx;
  auto docs = fx.Mkdir("docs");
  for (int i = 0; i < 30; ++i)
    fx.Upload("f" + std::to_string(i) + ".txt", "x", docs["id"]);
  testing::TempDir dir;
  {
    FeedStack s(fx, dir.path());
    CHECK(s.Names(*s.Find(kRootIno, "docs")).size() == 30);
  }
  // While unmounted: one new, one renamed, one gone.
  fx.Upload("while-away.txt", "w", docs["id"]);
  auto r = fx.Call(
      "GET", "/drive/v3/files?fields=files(id)&q=" + Q("name = 'f1.txt'"));
  fx.Patch(r.json()["files"][0]["id"], "", {{"name", "renamed.txt"}});
  r = fx.Call("GET",
              "/drive/v3/files?fields=files(id)&q=" + Q("name = 'f2.txt'"));
  fx.Patch(r.json()["files"][0]["id"], "", {{"trashed", true}});
  REQUIRE(fx.Call("POST", "/__emulator/reset-stats").status == 200);
  FeedStack s(fx, dir.path());
  CHECK(s.Poll() == 3);
  auto names = s.Names(*s.Find(kRootIno, "docs"));
  CHECK(names.size() == 30);
  CHECK(std::count(names.begin(), names.end(), "while-away.txt") == 1);
  CHECK(std::count(names.begin(), names.end(), "renamed.txt") == 1);
  CHECK(std::count(names.begin(), names.end(), "f2.txt") == 0);
  // One changes.list, no listing, no start token: the saved one was used.
  CHECK(Calls(fx, "changes.list") == 1);
  CHECK(Calls(fx, "files.list") == 0);
  CHECK(Calls(fx, "changes.getStartPageToken") == 0);
}

TEST_CASE("A rejected token falls back to listing folders again",
          "[integration][changes]") {
  EmulatorFixture fx;
  fx.Upload("a.txt", "a");
  testing::TempDir dir;
  FeedStack s(fx, dir.path());
  CHECK(s.Names(kRootIno).size() == 3);
  REQUIRE(s.store->SetChangeToken("not-a-token").ok());
  fx.Upload("b.txt", "b");
  const int64_t lists_before = Calls(fx, "files.list");
  CHECK(s.Poll() == 0);
  CHECK(s.feed->stats().token_resets == 1);
  CHECK(s.notifier.inodes.count(kRootIno) == 1);
  // The root is listed again at its next use, and shows b.txt.
  CHECK(s.Names(kRootIno).size() == 4);
  CHECK(Calls(fx, "files.list") > lists_before);
  // From the new token on, changes flow again.
  fx.Upload("c.txt", "c");
  CHECK(s.Poll() == 1);
  CHECK(s.Names(kRootIno).size() == 5);
}

TEST_CASE("A burst of 5,000 changes is applied in one poll",
          "[integration][changes]") {
  EmulatorFixture fx;
  auto bulk = fx.Mkdir("bulk");
  testing::TempDir dir;
  FeedStack s(fx, dir.path());
  const uint64_t bulk_ino = *s.Find(kRootIno, "bulk");
  CHECK(s.Names(bulk_ino).empty());
  for (int i = 0; i < 5000; ++i)
    fx.CreateEmpty("n" + std::to_string(i), bulk["id"]);
  const int64_t lists_before = Calls(fx, "files.list");
  CHECK(s.Poll() == 5000);
  CHECK(s.Names(bulk_ino).size() == 5000);
  CHECK(s.Find(bulk_ino, "n4999").has_value());
  CHECK(Calls(fx, "files.list") == lists_before);
  CHECK(s.feed->stats().pages == 5);  // 1,000 a page
}

}  // namespace
}  // namespace gdmount::vfs
