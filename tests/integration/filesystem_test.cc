// vfs::Filesystem (the operations the FUSE layer will call) over the real
// client, store and chunk cache against the emulator: lookups, attributes,
// directory listings, byte-exact reads through the cache, Docs exports.
#include "vfs/filesystem.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/support/drive_rig.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/fs_read.h"
#include "tests/support/temp_dir.h"

namespace gdmount::vfs {
namespace {

using testing::EmulatorFixture;

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
  return s;
}

struct FsStack {
  explicit FsStack(EmulatorFixture& fx) : drive(fx, 9) {
    drive::DriveClient* client = drive.client.get();
    store =
        std::move(meta::MetadataStore::Open(dir.path() + "/meta.db").value());
    tree = std::make_unique<Tree>(store.get(), client, RealClock());
    REQUIRE(tree->Init().ok());
    cache::ContentCacheOptions co;
    co.dir = dir.path() + "/cache";
    co.chunk_size = 256 * 1024;
    cache = std::move(cache::ContentCache::Open(co, client).value());
    FsOptions fo;
    fo.uid = 1234;
    fo.gid = 5678;
    fs = std::make_unique<Filesystem>(tree.get(), store.get(), cache.get(),
                                      client, fo);
  }
  std::string ReadAll(uint64_t ino) {
    // 100,000: not a chunk multiple on purpose.
    return testing::ReadAllThrough(*fs, ino, 100000);
  }
  testing::TempDir dir;
  testing::DriveRig drive;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<Tree> tree;
  std::unique_ptr<cache::ContentCache> cache;
  std::unique_ptr<Filesystem> fs;
};

TEST_CASE("Files read byte-exact through the cache, attributes from Drive",
          "[integration][vfs]") {
  EmulatorFixture fx;
  auto folder = fx.Mkdir("datasets");
  const std::string big = Pattern(1000 * 1000 + 7);  // 4 chunks, ragged end
  fx.Upload("big.bin", big, folder["id"]);
  fx.Upload("empty.txt", "", folder["id"]);
  FsStack s(fx);

  auto dir = s.fs->Lookup(kRootIno, "datasets");
  REQUIRE(dir.ok());
  CHECK(S_ISDIR(dir->mode));
  CHECK((dir->mode & 0777) == 0555);
  CHECK(dir->uid == 1234);
  auto entries = s.fs->ReadDir(dir->ino);
  REQUIRE(entries.ok());
  REQUIRE((*entries)->size() == 2);
  CHECK((**entries)[0].name == "big.bin");
  CHECK((**entries)[1].name == "empty.txt");

  auto file = s.fs->Lookup(dir->ino, "big.bin");
  REQUIRE(file.ok());
  CHECK(S_ISREG(file->mode));
  CHECK((file->mode & 0777) == 0444);
  CHECK(file->size == static_cast<int64_t>(big.size()));
  CHECK(file->mtime_ms > 0);
  int64_t media_before =
      fx.Stats()["methods"].value("files.get.media", int64_t{0});
  CHECK(s.ReadAll(file->ino) == big);
  int64_t media_first =
      fx.Stats()["methods"].value("files.get.media", int64_t{0});
  CHECK(media_first - media_before == 4);  // one ranged GET per chunk
  CHECK(s.ReadAll(file->ino) == big);      // the second read is local
  CHECK(fx.Stats()["methods"].value("files.get.media", int64_t{0}) ==
        media_first);

  auto empty = s.fs->Lookup(dir->ino, "empty.txt");
  REQUIRE(empty.ok());
  CHECK(empty->size == 0);
  CHECK(s.ReadAll(empty->ino).empty());
  CHECK(s.fs->open_handles() == 0);

  auto missing = s.fs->Lookup(dir->ino, "nope");
  CHECK(missing.status().code() == StatusCode::kNotFound);
  // EISDIR, as open(2) says for a folder opened as a file.
  CHECK(s.fs->Open(dir->ino).status().code() == StatusCode::kIsDirectory);
  auto getattr = s.fs->GetAttr(file->ino);
  REQUIRE(getattr.ok());
  CHECK(getattr->size == file->size);
}

TEST_CASE(
    "Google Docs appear with their export extension and read as the "
    "export",
    "[integration][vfs]") {
  EmulatorFixture fx;
  auto doc = fx.Call(
      "POST", "/drive/v3/files",
      R"({"name":"notes","mimeType":"application/vnd.google-apps.document"})",
      {"Content-Type: application/json"});
  REQUIRE(doc.status == 200);
  std::string id = doc.json()["id"];
  auto truth = fx.Call(
      "GET", "/drive/v3/files/" + id + "/export?mimeType=" +
                 testing::Q("application/vnd.openxmlformats-"
                            "officedocument.wordprocessingml.document"));
  REQUIRE(truth.status == 200);
  FsStack s(fx);
  auto a = s.fs->Lookup(kRootIno, "notes.docx");
  REQUIRE(a.ok());
  CHECK(S_ISREG(a->mode));
  auto opened = s.fs->Open(a->ino);
  REQUIRE(opened.ok());
  CHECK(opened->direct_io);  // size unknown until exported
  s.fs->Release(opened->fh);
  CHECK(s.ReadAll(a->ino) == truth.body);
  auto mime = s.fs->GetXattr(a->ino, "user.gdmount.mime_type");
  REQUIRE(mime.ok());
  CHECK(*mime == "application/vnd.google-apps.document");
  CHECK(s.fs->GetXattr(a->ino, "user.gdmount.id").value() == id);
  CHECK(s.fs->GetXattr(a->ino, "user.other").status().code() ==
        StatusCode::kNotFound);
  auto names = s.fs->ListXattr(a->ino);
  REQUIRE(names.ok());
  CHECK(std::find(names->begin(), names->end(), "user.gdmount.md5") ==
        names->end());  // Docs have no md5
  auto quota = s.fs->StatFs();
  REQUIRE(quota.ok());
  int64_t about_calls = fx.Stats()["methods"].value("about.get", int64_t{0});
  REQUIRE(s.fs->StatFs().ok());  // cached for a minute
  CHECK(fx.Stats()["methods"].value("about.get", int64_t{0}) == about_calls);
}

}  // namespace
}  // namespace gdmount::vfs

namespace gdmount::vfs {
namespace {

int64_t MediaCalls(EmulatorFixture& fx) {
  return fx.Stats()["methods"].value("files.get.media", int64_t{0});
}

// Opens `name` at the root of the stack's tree.
uint64_t OpenAt(FsStack& s, const std::string& name) {
  auto a = s.fs->Lookup(kRootIno, name);
  REQUIRE(a.ok());
  auto opened = s.fs->Open(a->ino);
  REQUIRE(opened.ok());
  return opened->fh;
}

std::string ReadAt(FsStack& s, uint64_t fh, int64_t off, size_t n) {
  std::string buf(n, '\0');
  auto got = s.fs->Read(fh, off, buf.data(), n);
  REQUIRE(got.ok());
  buf.resize(*got);
  return buf;
}

constexpr int64_t kPartSize = 256 * 1024;  // FsStack's chunk size

TEST_CASE("A sequential reader gets every part once, fetched ahead",
          "[integration][vfs]") {
  EmulatorFixture fx;
  const std::string data = Pattern(12 * kPartSize + 123);  // 13 parts
  fx.Upload("seq.bin", data);
  FsStack s(fx);
  int64_t before = MediaCalls(fx);
  uint64_t fh = OpenAt(s, "seq.bin");
  std::string out = ReadAt(s, fh, 0, 100000);
  // The first read already sent for more than its own part: read-ahead.
  // (Whether those parts arrive before the reader asks depends on the
  // machine's load, so that is not asserted.)
  CHECK(s.cache->stats().fetches >= 2);
  for (int64_t off = 100000; off < static_cast<int64_t>(data.size());
       off += 100000)
    out += ReadAt(s, fh, off, 100000);
  s.fs->Release(fh);
  CHECK(out == data);
  CHECK(MediaCalls(fx) - before == 13);  // one download per part
  cache::CacheStats st = s.cache->stats();
  CHECK(st.fetches == 13);
  CHECK(st.direct_reads == 0);
}

TEST_CASE("Reads across part boundaries and into the end of the file",
          "[integration][vfs]") {
  EmulatorFixture fx;
  const std::string data = Pattern(5 * kPartSize + kPartSize / 2);
  fx.Upload("edges.bin", data);
  FsStack s(fx);
  uint64_t fh = OpenAt(s, "edges.bin");
  const int64_t size = static_cast<int64_t>(data.size());
  CHECK(ReadAt(s, fh, 0, 10) == data.substr(0, 10));
  // Straddles parts 0 and 1, then 1, 2 and 3 in one read.
  CHECK(ReadAt(s, fh, kPartSize - 1000, 2000) ==
        data.substr(kPartSize - 1000, 2000));
  CHECK(ReadAt(s, fh, kPartSize + 5, 2 * kPartSize + 10) ==
        data.substr(kPartSize + 5, 2 * kPartSize + 10));
  // The last part is short: a read past the end stops at the end.
  CHECK(ReadAt(s, fh, size - 50, 1000) == data.substr(size - 50));
  CHECK(ReadAt(s, fh, size, 10).empty());
  CHECK(ReadAt(s, fh, size + 12345, 10).empty());
  s.fs->Release(fh);
}

TEST_CASE("Random reads of a large file ask for just what is read",
          "[integration][vfs]") {
  EmulatorFixture fx;
  const std::string data = Pattern(16 * kPartSize);  // 4 MiB
  fx.Upload("random.bin", data);
  fx.Upload("small.bin", data.substr(0, 250000));  // one part, under 1 MiB
  FsStack s(fx);
  uint64_t fh = OpenAt(s, "random.bin");
  fx.Raw("POST", "/__emulator/reset-stats");
  for (int64_t off : {3 * kPartSize + 7, kPartSize * 11, int64_t{4096} * 5}) {
    INFO(off);
    CHECK(ReadAt(s, fh, off, 4096) == data.substr(off, 4096));
  }
  s.fs->Release(fh);
  nlohmann::json st = fx.Stats();
  CHECK(st["methods"]["files.get.media"] == 3);
  CHECK(st["media_bytes_served"].get<int64_t>() == 3 * 4096);
  CHECK(s.cache->stats().direct_reads == 3);
  // A small file is fetched whole by its first read, wherever it is.
  uint64_t small = OpenAt(s, "small.bin");
  CHECK(ReadAt(s, small, 200000, 4096) == data.substr(200000, 4096));
  CHECK(ReadAt(s, small, 0, 4096) == data.substr(0, 4096));
  s.fs->Release(small);
  CHECK(fx.Stats()["methods"]["files.get.media"] == 4);
}

TEST_CASE("Transfers cut mid-part resume without corrupting data",
          "[integration][vfs]") {
  EmulatorFixture fx({}, nullptr);
  const std::string data = Pattern(10 * kPartSize + 99);
  fx.Upload("faulty.bin", data);
  FsStack s(fx);
  REQUIRE(fx.Raw("POST", "/__emulator/faults",
                 R"({"faults":["reset:rate=0.4:method=files.get.media"]})")
              .status == 200);
  auto a = s.fs->Lookup(kRootIno, "faulty.bin");
  REQUIRE(a.ok());
  std::string out = s.ReadAll(a->ino);
  CHECK(out.size() == data.size());
  CHECK(out == data);
  CHECK(fx.Stats()["faults_injected"].value("reset", 0) > 0);
}

TEST_CASE("keep_cache only while the content version is unchanged",
          "[integration][vfs]") {
  EmulatorFixture fx;
  std::string id = fx.Upload("doc.txt", "version one")["id"];
  FsStack s(fx);
  auto a = s.fs->Lookup(kRootIno, "doc.txt");
  REQUIRE(a.ok());
  for (int i = 0; i < 2; ++i) {
    auto opened = s.fs->Open(a->ino);
    REQUIRE(opened.ok());
    CHECK(opened->keep_cache);
    s.fs->Release(opened->fh);
  }
  // New content on Drive; the listing is refreshed.
  REQUIRE(fx.Call("PATCH", "/upload/drive/v3/files/" + id + "?uploadType=media",
                  "version two", {"Content-Type: text/plain"})
              .status == 200);
  REQUIRE(s.tree->Invalidate(s.tree->root_id()).ok());
  REQUIRE(s.tree->List(s.tree->root_id()).ok());
  auto changed = s.fs->Open(a->ino);
  REQUIRE(changed.ok());
  CHECK_FALSE(changed->keep_cache);  // the kernel drops the old pages
  CHECK(s.ReadAll(a->ino) == "version two");
  s.fs->Release(changed->fh);
  auto again = s.fs->Open(a->ino);
  REQUIRE(again.ok());
  CHECK(again->keep_cache);
  s.fs->Release(again->fh);
}

}  // namespace
}  // namespace gdmount::vfs
