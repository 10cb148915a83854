// vfs::Filesystem (the operations the FUSE layer will call) over the real
// client, store and chunk cache against the emulator: lookups, attributes,
// directory listings, byte-exact reads through the cache, Docs exports.
#include "vfs/filesystem.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/support/drive_rig.h"
#include "tests/support/emulator_fixture.h"
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
    auto opened = fs->Open(ino);
    REQUIRE(opened.ok());
    auto fh = Result<uint64_t>(opened->fh);
    std::string out;
    std::string buf(100000, '\0');  // not a chunk multiple on purpose
    for (int64_t off = 0;;) {
      auto n = fs->Read(*fh, off, buf.data(), buf.size());
      REQUIRE(n.ok());
      if (*n == 0) break;
      out.append(buf.data(), *n);
      off += static_cast<int64_t>(*n);
    }
    fs->Release(*fh);
    return out;
  }
  testing::TempDir dir;
  testing::DriveRig drive;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<Tree> tree;
  std::unique_ptr<cache::ContentCache> cache;
  std::unique_ptr<Filesystem> fs;
};

TEST_CASE("Files read byte-exact through the cache; attributes from Drive",
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
  CHECK(s.fs->Open(dir->ino).status().code() == StatusCode::kInvalidArgument);
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
