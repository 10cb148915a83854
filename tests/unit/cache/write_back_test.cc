// WriteBack against a real in-memory MetadataStore and a temp staging dir:
// commits, the staging limit (ENOSPC or waiting), restart cleanup.
#include "cache/write_back.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <vector>

#include "tests/support/temp_dir.h"
#include "util/encoding.h"

namespace gdmount::cache {
namespace {

meta::Entry NewEntry(meta::MetadataStore* store, const std::string& id) {
  drive::DriveFile f;
  f.id = id;
  f.name = id + ".bin";
  f.mime_type = "application/octet-stream";
  f.parents = {"p"};
  f.size = 0;
  auto e = store->PutLocal(f, "p");
  REQUIRE(e.ok());
  return *e;
}

struct Rig {
  explicit Rig(int64_t limit = 0, bool block = true) {
    store = std::move(meta::MetadataStore::Open(":memory:").value());
    WriteBackOptions o;
    o.staging_dir = dir.path() + "/staging";
    o.staging_limit = limit;
    o.block_when_full = block;
    o.full_wait = std::chrono::seconds(30);
    wb = std::make_unique<WriteBack>(store.get(), nullptr, o);
    REQUIRE(wb->Init().ok());
  }
  testing::TempDir dir;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<WriteBack> wb;
};

TEST_CASE("A staging file's change stamp moves with every write and truncate",
          "[unit][cache][write]") {
  Rig r;
  CHECK(r.wb->ChangeStamp("a") == 0);  // nothing staged
  meta::Entry e = NewEntry(r.store.get(), "a");
  auto f = r.wb->Create(e);
  REQUIRE(f.ok());
  const uint64_t created = r.wb->ChangeStamp("a");
  CHECK(created != 0);
  REQUIRE(r.wb->Write(**f, 0, "abc", 3).ok());
  const uint64_t written = r.wb->ChangeStamp("a");
  CHECK(written != created);
  char buf[8];
  REQUIRE(r.wb->Read(**f, 0, buf, 3).ok());
  REQUIRE(r.wb->Commit(**f, e, 1).ok());
  CHECK(r.wb->ChangeStamp("a") == written);  // reads and commits: no change
  REQUIRE(r.wb->Truncate(**f, 1).ok());
  const uint64_t truncated = r.wb->ChangeStamp("a");
  CHECK(truncated != written);
  REQUIRE(r.wb->Commit(**f, e, 2).ok());
  r.wb->Close(*f, true);
  // Attached again (the journal keeps it): a stamp never seen before.
  auto again = r.wb->OpenRead("a");
  REQUIRE(again.ok());
  REQUIRE(*again != nullptr);
  const uint64_t reattached = r.wb->ChangeStamp("a");
  CHECK(reattached != truncated);
  CHECK(reattached != created);
  r.wb->Close(*again, false);
}

TEST_CASE("WriteBack commits the staged bytes with their md5",
          "[unit][cache][write]") {
  Rig r;
  meta::Entry e = NewEntry(r.store.get(), "a");
  auto f = r.wb->Create(e);
  REQUIRE(f.ok());
  struct stat st {};
  REQUIRE(stat((r.dir.path() + "/staging").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(r.wb->Write(**f, 0, "hello ", 6).ok());
  REQUIRE(r.wb->Write(**f, 6, "world", 5).ok());
  CHECK(r.wb->StagedSize("a") == 11);
  auto g1 = r.wb->Commit(**f, e, 1234);
  REQUIRE(g1.ok());
  CHECK(*g1 > 0);
  CHECK(*r.wb->Commit(**f, e, 1234) == 0);  // nothing new: no commit
  auto row = r.store->GetUpload("a").value();
  REQUIRE(row.has_value());
  CHECK(row->create);
  CHECK(row->size == 11);
  CHECK(row->md5 == util::HexEncode(util::Md5("hello world")));
  CHECK(row->modified_ms == 1234);
  CHECK(r.store->Get("a").value()->size == 11);
  // A sparse extension reads and hashes as zeros.
  REQUIRE(r.wb->Truncate(**f, 16).ok());
  REQUIRE(*r.wb->Commit(**f, e, 1300) > *g1);
  CHECK(r.store->GetUpload("a").value()->md5 ==
        util::HexEncode(util::Md5(std::string("hello world\0\0\0\0\0", 16))));
  char buf[32];
  CHECK(*r.wb->Read(**f, 0, buf, sizeof buf) == 16);
  CHECK(std::string(buf, 16) == std::string("hello world\0\0\0\0\0", 16));
  r.wb->Close(*f, true);
  // Journaled: the staging file stays after the last close.
  CHECK(std::filesystem::exists(row->staging_path));
}

TEST_CASE("WriteBack: the staging limit gives ENOSPC or waits for room",
          "[unit][cache][write]") {
  SECTION("enospc") {
    Rig r(/*limit=*/1000, /*block=*/false);
    auto f = r.wb->Create(NewEntry(r.store.get(), "a"));
    REQUIRE(f.ok());
    std::string kb(600, 'x');
    REQUIRE(r.wb->Write(**f, 0, kb.data(), kb.size()).ok());
    auto full = r.wb->Write(**f, 600, kb.data(), kb.size());
    CHECK(full.status().code() == StatusCode::kQuotaExceeded);
    // Overwriting within the size needs no room.
    CHECK(r.wb->Write(**f, 0, kb.data(), kb.size()).ok());
    CHECK(r.wb->staged_bytes() == 600);
  }
  SECTION("block until an upload frees space") {
    Rig r(/*limit=*/1000, /*block=*/true);
    auto a = r.wb->Create(NewEntry(r.store.get(), "a"));
    auto b = r.wb->Create(NewEntry(r.store.get(), "b"));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    std::string bytes(700, 'y');
    REQUIRE(r.wb->Write(**a, 0, bytes.data(), bytes.size()).ok());
    auto blocked = std::async(std::launch::async, [&] {
      return r.wb->Write(**b, 0, bytes.data(), bytes.size());
    });
    // Not done while "a" holds the space (bounded: a broken wait fails the
    // test instead of hanging it).
    CHECK(blocked.wait_for(std::chrono::milliseconds(200)) ==
          std::future_status::timeout);
    REQUIRE(r.wb->Discard("a").ok());  // as if uploaded and removed
    r.wb->Close(*a, true);
    REQUIRE(blocked.wait_for(std::chrono::seconds(30)) ==
            std::future_status::ready);
    CHECK(blocked.get().ok());
    // Larger than the whole limit: at once, no waiting.
    std::string huge(2000, 'z');
    CHECK(r.wb->Write(**b, 0, huge.data(), huge.size()).status().code() ==
          StatusCode::kQuotaExceeded);
  }
}

TEST_CASE("WriteBack counts each staged byte once, also with many writers",
          "[unit][cache][write]") {
  Rig r;
  meta::Entry e = NewEntry(r.store.get(), "a");
  auto f = r.wb->Create(e);
  REQUIRE(f.ok());
  // 8 threads overwrite and extend the same file at once.
  std::vector<std::future<int>> writers;  // failed writes of each
  for (int t = 0; t < 8; ++t) {
    writers.push_back(std::async(std::launch::async, [&, t] {
      std::string bytes(4096, static_cast<char>('a' + t));
      int failed = 0;
      for (int i = 0; i < 50; ++i)
        failed += !r.wb->Write(**f, int64_t{4096} * ((i + t) % 64),
                               bytes.data(), bytes.size())
                       .ok();
      return failed;
    }));
  }
  for (auto& w : writers) CHECK(w.get() == 0);
  // Blocks 0..56 were written (thread 7 reaches 7 + 49).
  CHECK((**f).size() == 57 * 4096);
  CHECK(r.wb->staged_bytes() == 57 * 4096);
  REQUIRE(r.wb->Truncate(**f, 1000).ok());
  CHECK(r.wb->staged_bytes() == 1000);
  REQUIRE(r.wb->Truncate(**f, 5000).ok());
  CHECK(r.wb->staged_bytes() == 5000);
  REQUIRE(r.wb->Discard("a").ok());
  r.wb->Close(*f, true);
  CHECK(r.wb->staged_bytes() == 0);
}

TEST_CASE("WriteBack::Init keeps journaled staging files, drops the rest",
          "[unit][cache][write]") {
  testing::TempDir dir;
  const std::string db = dir.path() + "/meta.db";
  WriteBackOptions o;
  o.staging_dir = dir.path() + "/staging";
  std::string kept_path;
  {
    auto store = std::move(meta::MetadataStore::Open(db).value());
    WriteBack wb(store.get(), nullptr, o);
    REQUIRE(wb.Init().ok());
    meta::Entry a = NewEntry(store.get(), "a");
    auto fa = wb.Create(a);
    REQUIRE(wb.Write(**fa, 0, "keep", 4).ok());
    REQUIRE(wb.Commit(**fa, a, 1).ok());
    kept_path = store->GetUpload("a").value()->staging_path;
    // "b" is written but never committed (the daemon dies before close).
    auto fb = wb.Create(NewEntry(store.get(), "b"));
    REQUIRE(wb.Write(**fb, 0, "lost", 4).ok());
  }
  auto store = std::move(meta::MetadataStore::Open(db).value());
  WriteBack wb(store.get(), nullptr, o);
  REQUIRE(wb.Init().ok());
  CHECK(std::filesystem::exists(kept_path));
  CHECK_FALSE(std::filesystem::exists(o.staging_dir + "/b"));
  CHECK(wb.staged_bytes() == 4);
  auto f = wb.OpenRead("a");
  REQUIRE(f.ok());
  REQUIRE(*f != nullptr);
  char buf[8];
  CHECK(*wb.Read(**f, 0, buf, sizeof buf) == 4);
  CHECK(std::string(buf, 4) == "keep");
  wb.Close(*f, false);
}

}  // namespace
}  // namespace gdmount::cache
