// The write path against the emulator: vfs::Filesystem writes through the
// WriteBack staging files, the upload journal and the Uploader, with the
// real client. Outcomes are checked on the emulator's side (names, bytes,
// md5s, parents, trash) and in its request counts.
#include "cache/write_back.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <set>

#include "cache/uploader.h"
#include "drive/content_sources.h"
#include "tests/support/drive_rig.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/fs_read.h"
#include "tests/support/gated_transport.h"
#include "tests/support/temp_dir.h"
#include "vfs/filesystem.h"

namespace gdmount::vfs {
namespace {

using testing::EmulatorFixture;
using testing::Md5Hex;
using testing::Q;

constexpr auto kDrainTimeout = std::chrono::seconds(60);

std::string Pattern(size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + i / 977 + seed * 7) & 0xff);
  return s;
}

// Files named `name` (any parent, trashed or not) on the emulator.
nlohmann::json FilesNamed(EmulatorFixture& fx, const std::string& name) {
  auto r = fx.Call("GET",
                   "/drive/v3/files?fields=files(id,name,size,"
                   "md5Checksum,parents,trashed)&q=" +
                       Q("name = '" + name + "'"));
  REQUIRE(r.status == 200);
  return r.json()["files"];
}

std::string Content(EmulatorFixture& fx, const std::string& id) {
  auto r = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
  REQUIRE(r.status == 200);
  return r.body;
}

// The owner takes edit access away from `id` (or gives it back): Drive
// then refuses its trash and its uploads.
void SetReadOnly(EmulatorFixture& fx, const std::string& id, bool ro) {
  REQUIRE(fx.emu().store().SeedPatch(
      id, [ro](emulator::FileRecord& f) { f.read_only = ro; }));
}

// What a test changes in a Stack: the transport the client sends on (a
// wrapper around the real one, see DriveRig) and the uploader's options.
struct StackTweaks {
  std::function<HttpTransport*(HttpTransport* inner)> through;
  std::function<void(cache::UploaderOptions*)> uploader;
};

// A writable Filesystem over a state directory that can be reopened (a
// restart) with the same journal and staging files.
struct Stack {
  Stack(EmulatorFixture& fx, const std::string& dir, bool start = true,
        const StackTweaks& tweaks = {})
      : drive(fx, 11, tweaks.through) {
    drive::DriveClient* client = drive.client.get();
    store = std::move(meta::MetadataStore::Open(dir + "/meta.db").value());
    tree = std::make_unique<Tree>(store.get(), client, RealClock());
    REQUIRE(tree->Init().ok());
    cache::ContentCacheOptions co;
    co.dir = dir + "/cache";
    co.chunk_size = 256 * 1024;
    cache = std::move(cache::ContentCache::Open(co, client).value());
    cache::WriteBackOptions wo;
    wo.staging_dir = dir + "/staging";
    write_back =
        std::make_unique<cache::WriteBack>(store.get(), cache.get(), wo);
    REQUIRE(write_back->Init().ok());
    cache::UploaderOptions uo;
    uo.threads = 3;
    uo.retry_min = std::chrono::milliseconds(50);
    uo.retry_max = std::chrono::milliseconds(500);
    uo.on_folder_changed = [this](const std::string& folder) {
      (void)tree->Invalidate(folder);
    };
    if (tweaks.uploader) tweaks.uploader(&uo);
    uploader = std::make_unique<cache::Uploader>(store.get(), client,
                                                 write_back.get(), uo);
    if (start) uploader->Start();
    fs = std::make_unique<Filesystem>(tree.get(), store.get(), cache.get(),
                                      client, FsOptions(), RealClock(),
                                      write_back.get(), uploader.get());
  }
  ~Stack() { uploader->Stop(); }

  uint64_t Ino(uint64_t parent, const std::string& name) {
    auto a = fs->Lookup(parent, name);
    INFO(name << ": " << a.status().ToString());
    REQUIRE(a.ok());
    return a->ino;
  }
  // create + write `bytes` in 64 KiB pieces + close.
  void WriteNew(uint64_t parent, const std::string& name,
                const std::string& bytes) {
    OpenFile opened;
    auto a = fs->Create(parent, name, O_WRONLY, &opened);
    INFO(name << ": " << a.status().ToString());
    REQUIRE(a.ok());
    for (size_t off = 0; off < bytes.size(); off += 65536) {
      size_t n = std::min<size_t>(65536, bytes.size() - off);
      auto w = fs->Write(opened.fh, static_cast<int64_t>(off),
                         bytes.data() + off, n);
      REQUIRE(w.ok());
      REQUIRE(*w == n);
    }
    REQUIRE(fs->Flush(opened.fh).ok());
    fs->Release(opened.fh);
  }
  // open(O_RDWR) + write `bytes` at offset 0 + close (accepted).
  void Overwrite(uint64_t ino, const std::string& bytes) {
    auto opened = fs->Open(ino, O_RDWR);
    REQUIRE(opened.ok());
    auto w = fs->Write(opened->fh, 0, bytes.data(), bytes.size());
    REQUIRE(w.ok());
    REQUIRE(*w == bytes.size());
    REQUIRE(fs->Flush(opened->fh).ok());
    fs->Release(opened->fh);
  }
  std::string ReadAll(uint64_t ino) {
    return testing::ReadAllThrough(*fs, ino);
  }
  void Drain() {
    auto left = uploader->Drain(kDrainTimeout, nullptr);
    REQUIRE(left.ok());
    REQUIRE(*left == 0);
  }

  testing::DriveRig drive;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<Tree> tree;
  std::unique_ptr<cache::ContentCache> cache;
  std::unique_ptr<cache::WriteBack> write_back;
  std::unique_ptr<cache::Uploader> uploader;
  std::unique_ptr<Filesystem> fs;
};

TEST_CASE("Written files reach Drive byte-exact, small and resumable",
          "[integration][write]") {
  EmulatorFixture fx;
  testing::TempDir dir;
  Stack s(fx, dir.path());
  const std::string small = Pattern(70000, 1);
  const std::string large = Pattern(6 * 1024 * 1024 + 123, 2);  // resumable
  s.WriteNew(kRootIno, "small.bin", small);
  s.WriteNew(kRootIno, "large.bin", large);
  s.WriteNew(kRootIno, "empty.txt", "");
  // Seen at once through the mount, before any upload: bytes, and the size
  // a lookup and a listing show (the folder's view took the commit).
  CHECK(s.ReadAll(s.Ino(kRootIno, "small.bin")) == small);
  CHECK(s.fs->Lookup(kRootIno, "large.bin")->size ==
        static_cast<int64_t>(large.size()));
  auto listed = s.fs->ReadDir(kRootIno);
  REQUIRE(listed.ok());
  for (const Child& c : **listed)
    if (c.name == "small.bin") CHECK(s.fs->AttrOf(c.entry).size == 70000);
  s.Drain();
  for (auto [name, bytes] :
       {std::pair<const char*, const std::string*>{"small.bin", &small},
        {"large.bin", &large}}) {
    auto files = FilesNamed(fx, name);
    REQUIRE(files.size() == 1);
    CHECK(files[0]["md5Checksum"] == Md5Hex(*bytes));
    CHECK(Content(fx, files[0]["id"]) == *bytes);
  }
  auto empty = FilesNamed(fx, "empty.txt");
  REQUIRE(empty.size() == 1);
  CHECK(empty[0]["size"] == "0");
  CHECK(s.store->PendingUploads().value().empty());
  // The ids Drive has are the ones the mount gave out.
  auto e = s.store->GetByIno(s.Ino(kRootIno, "large.bin")).value();
  CHECK(e->id == FilesNamed(fx, "large.bin")[0]["id"]);
  CHECK(e->md5 == Md5Hex(large));
}

TEST_CASE("Editing an existing file keeps the bytes it did not touch",
          "[integration][write]") {
  EmulatorFixture fx;
  const std::string base = Pattern(600000, 3);
  auto f = fx.Upload("data.bin", base);
  testing::TempDir dir;
  Stack s(fx, dir.path());
  uint64_t ino = s.Ino(kRootIno, "data.bin");
  auto opened = s.fs->Open(ino, O_RDWR);
  REQUIRE(opened.ok());
  const std::string patch(1000, 'X');
  REQUIRE(s.fs->Write(opened->fh, 300000, patch.data(), patch.size()).ok());
  REQUIRE(s.fs->Write(opened->fh, 600000, "tail", 4).ok());  // extends
  REQUIRE(s.fs->Fsync(opened->fh).ok());  // on Drive when it returns
  std::string expected = base;
  expected.replace(300000, 1000, patch);
  expected += "tail";
  CHECK(Content(fx, f["id"]) == expected);
  s.fs->Release(opened->fh);
  CHECK(s.ReadAll(ino) == expected);
  // Still one file with that name: an update, not a second create.
  CHECK(FilesNamed(fx, "data.bin").size() == 1);

  // truncate(2) by path and O_APPEND.
  SetAttrRequest truncate;
  truncate.size = 10;
  REQUIRE(s.fs->SetAttr(ino, truncate, 0).ok());
  auto app = s.fs->Open(ino, O_WRONLY | O_APPEND);
  REQUIRE(app.ok());
  REQUIRE(s.fs->Write(app->fh, 0, "++", 2).ok());  // offset ignored
  REQUIRE(s.fs->Fsync(app->fh).ok());
  s.fs->Release(app->fh);
  CHECK(Content(fx, f["id"]) == expected.substr(0, 10) + "++");
}

TEST_CASE("A restart uploads what the journal holds, exactly once",
          "[integration][write]") {
  EmulatorFixture fx;
  testing::TempDir dir;
  const std::string bytes = Pattern(300000, 4);
  {
    Stack s(fx, dir.path(), /*start=*/false);  // dies before uploading
    s.WriteNew(kRootIno, "late.bin", bytes);
    CHECK(FilesNamed(fx, "late.bin").empty());
  }
  {
    Stack s(fx, dir.path());
    s.Drain();
    // The remount shows it from the journal all along.
    CHECK(s.ReadAll(s.Ino(kRootIno, "late.bin")) == bytes);
  }
  auto files = FilesNamed(fx, "late.bin");
  REQUIRE(files.size() == 1);
  CHECK(files[0]["md5Checksum"] == Md5Hex(bytes));
}

TEST_CASE("A file changed on Drive while edited here keeps both versions",
          "[integration][write]") {
  EmulatorFixture fx;
  auto f = fx.Upload("notes.txt", "original");
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  uint64_t ino = s.Ino(kRootIno, "notes.txt");
  auto opened = s.fs->Open(ino, O_WRONLY | O_TRUNC);
  REQUIRE(opened.ok());
  REQUIRE(s.fs->Write(opened->fh, 0, "local edit", 10).ok());
  REQUIRE(s.fs->Flush(opened->fh).ok());
  s.fs->Release(opened->fh);
  // Someone else uploads new content meanwhile.
  auto remote = fx.Call(
      "PATCH",
      "/upload/drive/v3/files/" + std::string(f["id"]) + "?uploadType=media",
      "their edit", {"Content-Type: text/plain"});
  REQUIRE(remote.status == 200);
  s.uploader->Start();
  s.Drain();
  CHECK(Content(fx, f["id"]) == "their edit");
  auto all = fx.Call("GET", "/drive/v3/files?fields=files(id,name)&q=" +
                                Q("'root' in parents and trashed = false"));
  std::string conflict_id;
  const nlohmann::json listing = all.json();
  for (const auto& file : listing["files"]) {
    std::string name = file["name"];
    if (name.rfind("notes (conflict ", 0) == 0)
      conflict_id = file["id"].get<std::string>();
  }
  REQUIRE_FALSE(conflict_id.empty());
  CHECK(Content(fx, conflict_id) == "local edit");
  CHECK(s.uploader->stats().conflicts == 1);
}

TEST_CASE("An upload whose answer was lost is not taken for a conflict",
          "[integration][write]") {
  EmulatorFixture fx;
  auto f = fx.Upload("notes.txt", "v1");
  testing::TempDir dir;
  {
    Stack s(fx, dir.path(), /*start=*/false);
    auto opened = s.fs->Open(s.Ino(kRootIno, "notes.txt"), O_RDWR);
    REQUIRE(opened.ok());
    REQUIRE(s.fs->Write(opened->fh, 0, "v2 longer", 9).ok());
    REQUIRE(s.fs->Flush(opened->fh).ok());
    s.fs->Release(opened->fh);
    // The content update is applied on Drive, then the connection drops
    // before the answer: as if the daemon died right after sending it.
    auto r = fx.Call("POST", "/__emulator/faults",
                     R"({"faults": ["reset:nth=1:method=files.update"]})",
                     {"Content-Type: application/json"});
    REQUIRE(r.status == 200);
    s.uploader->Start();
    auto left = s.uploader->Drain(kDrainTimeout, nullptr);
    REQUIRE(left.ok());
    CHECK(*left == 0);
  }
  const nlohmann::json described = fx.Call("GET", "/__emulator/faults").json();
  CHECK(described["faults"][0]["fired"] == 1);
  // Drive's bytes were the ones sent: no conflict copy, one file.
  CHECK(Content(fx, f["id"]) == "v2 longer");
  auto r = fx.Call("GET", "/drive/v3/files?fields=files(name)&q=" +
                              Q("name contains 'notes'"));
  REQUIRE(r.status == 200);
  CHECK(r.json()["files"].size() == 1);
}

TEST_CASE(
    "Bytes of its own that reached Drive unheard stay the base when a later "
    "attempt dies",
    "[integration][write]") {
  EmulatorFixture fx;
  auto f = fx.Upload("notes.txt", "v1");
  const std::string id = f["id"];
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  const uint64_t ino = s.Ino(kRootIno, "notes.txt");
  auto edit = [&](const std::string& bytes) {
    auto opened = s.fs->Open(ino, O_WRONLY | O_TRUNC);
    REQUIRE(opened.ok());
    REQUIRE(s.fs->Write(opened->fh, 0, bytes.data(), bytes.size()).ok());
    REQUIRE(s.fs->Flush(opened->fh).ok());
    s.fs->Release(opened->fh);
  };
  edit("v2 from here");
  // A reader keeps the staging file attached throughout (its in-memory
  // base is what later commits journal).
  auto reader = s.fs->Open(ino, O_RDONLY);
  REQUIRE(reader.ok());
  // An attempt sends v2 and Drive applies it, but the answer never comes
  // back (the daemon dies): as Uploader does, marked sent, then sent.
  {
    const std::string v2 = "v2 from here";
    REQUIRE(s.store->MarkUploadSending(id, Md5Hex(v2)).ok());
    drive::FileMetadata md;
    md.name = "notes.txt";
    drive::StringContentSource content(v2);
    REQUIRE(s.drive.client->Upload(id, md, content, nullptr).ok());
  }
  edit("v3 from here, longer");
  // The next attempts take v2 for their own, mark v3 as sending, and fail
  // before v3 reaches Drive (every content update is refused until the
  // fault is lifted).
  auto r = fx.Call("POST", "/__emulator/faults",
                   R"({"faults": ["401:rate=1:method=files.update"]})",
                   {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  s.uploader->Start();
  CHECK(s.uploader->WaitFor(id, kDrainTimeout).code() ==
        StatusCode::kUnauthenticated);
  s.uploader->Stop();
  r = fx.Call("POST", "/__emulator/faults", R"({"faults": []})",
              {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  REQUIRE(Content(fx, id) == "v2 from here");
  // Edited again before the retry: the new commit builds on v2 too.
  edit("v4 from here, longest yet");
  // Its retry still knows v2 as its own: no conflict copy.
  s.uploader->Start();
  s.Drain();
  CHECK(Content(fx, id) == "v4 from here, longest yet");
  s.fs->Release(reader->fh);
  auto all = fx.Call("GET", "/drive/v3/files?fields=files(name)&q=" +
                                Q("name contains 'notes'"));
  REQUIRE(all.status == 200);
  CHECK(all.json()["files"].size() == 1);
  CHECK(s.uploader->stats().conflicts == 0);
}

// The bytes of a string up to `limit`; a read past it fails, as when the
// daemon dies partway through a session.
class CutShortSource : public drive::ContentSource {
 public:
  CutShortSource(const std::string& bytes, int64_t limit)
      : bytes_(bytes), limit_(limit) {}
  int64_t size() const override { return static_cast<int64_t>(bytes_.size()); }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override {
    if (offset + static_cast<int64_t>(n) > limit_) return IoError("cut short");
    std::memcpy(buf, bytes_.data() + offset, n);
    return Status::Ok();
  }

 private:
  const std::string& bytes_;
  int64_t limit_;
};

TEST_CASE(
    "A resumed session that mixes two versions is not taken for another "
    "client's change",
    "[integration][write]") {
  EmulatorFixture fx;
  const std::string v1 = Pattern(9 << 20, 1);  // two resumable chunks
  auto f = fx.Upload("big.bin", v1);
  const std::string id = f["id"];
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  const uint64_t ino = s.Ino(kRootIno, "big.bin");
  const std::string v2 = Pattern(9 << 20, 2);
  {
    auto opened = s.fs->Open(ino, O_WRONLY | O_TRUNC);
    REQUIRE(opened.ok());
    for (size_t off = 0; off < v2.size(); off += 1 << 20)
      REQUIRE(s.fs->Write(opened->fh, off, v2.data() + off, 1 << 20).ok());
    REQUIRE(s.fs->Flush(opened->fh).ok());
    s.fs->Release(opened->fh);
  }
  // An attempt sends v2's first chunk and dies (as Uploader::Send does,
  // the journal keeps the session and its progress).
  {
    auto row = s.store->GetUpload(id);
    REQUIRE(row.ok());
    REQUIRE(row->has_value());
    const int64_t generation = (*row)->generation;
    REQUIRE(s.store->MarkUploadSending(id, Md5Hex(v2)).ok());
    drive::FileMetadata md;
    md.name = "big.bin";
    CutShortSource content(v2, 8 << 20);
    auto sent = s.drive.client->Upload(
        id, md, content, [&](const drive::UploadProgress& p) {
          (void)s.store->SaveUploadSession(id, generation, p.session_uri,
                                           p.confirmed);
        });
    REQUIRE_FALSE(sent.ok());
    auto saved = s.store->GetUpload(id);
    REQUIRE(saved.ok());
    REQUIRE(saved->has_value());
    REQUIRE((*saved)->confirmed == 8 << 20);
  }
  // A writer overwrites the whole file and has not closed it when the
  // uploader resumes that session: Drive gets v2's first chunk and v3's
  // rest, a version of neither.
  const std::string v3 = Pattern(9 << 20, 3);
  auto writer = s.fs->Open(ino, O_WRONLY);
  REQUIRE(writer.ok());
  for (size_t off = 0; off < v3.size(); off += 1 << 20)
    REQUIRE(s.fs->Write(writer->fh, off, v3.data() + off, 1 << 20).ok());
  s.uploader->Start();
  CHECK(s.uploader->WaitFor(id, kDrainTimeout).code() ==
        StatusCode::kCorruption);
  s.uploader->Stop();
  const std::string mixed = v2.substr(0, 8 << 20) + v3.substr(8 << 20);
  REQUIRE(Md5Hex(Content(fx, id)) == Md5Hex(mixed));
  // The writer closes: its commit builds on the mixed version, this
  // mount's own, and replaces it. No conflict copy.
  REQUIRE(s.fs->Flush(writer->fh).ok());
  s.fs->Release(writer->fh);
  s.uploader->Start();
  s.Drain();
  CHECK(Md5Hex(Content(fx, id)) == Md5Hex(v3));
  CHECK(s.uploader->stats().conflicts == 0);
  auto all = fx.Call("GET", "/drive/v3/files?fields=files(name)&q=" +
                                Q("name contains 'big'"));
  REQUIRE(all.status == 200);
  CHECK(all.json()["files"].size() == 1);
}

TEST_CASE(
    "A create whose session finished unheard, then moved here, lands where "
    "the mount shows it",
    "[integration][write]") {
  EmulatorFixture fx;
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  auto a = s.fs->Mkdir(kRootIno, "a");
  REQUIRE(a.ok());
  const std::string bytes = Pattern(6 << 20);  // a resumable session
  s.WriteNew(kRootIno, "f.bin", bytes);
  auto entry = s.store->GetByIno(s.Ino(kRootIno, "f.bin"));
  REQUIRE(entry.ok());
  REQUIRE(entry->has_value());
  const std::string id = (*entry)->id;
  // The daemon sends the whole session, as Uploader::Send does (the
  // journal learns the session's URI and progress), and dies before it
  // records the upload as done.
  {
    auto row = s.store->GetUpload(id);
    REQUIRE(row.ok());
    REQUIRE(row->has_value());
    const int64_t generation = (*row)->generation;
    drive::FileMetadata md;
    md.id = id;
    md.name = "f.bin";
    md.parent_id = (*entry)->parent_id;
    drive::StringContentSource content(bytes);
    auto sent = s.drive.client->Upload(
        "", md, content, [&](const drive::UploadProgress& p) {
          (void)s.store->SaveUploadSession(id, generation, p.session_uri,
                                           p.confirmed);
        });
    REQUIRE(sent.ok());
  }
  auto first = FilesNamed(fx, "f.bin");
  REQUIRE(first.size() == 1);
  auto journaled = s.store->GetUpload(id);
  REQUIRE(journaled.ok());
  REQUIRE(journaled->has_value());
  REQUIRE_FALSE((*journaled)->session_uri.empty());
  // Moved and renamed here before the retry, which resumes that session:
  // Drive's answer names the old folder and name.
  REQUIRE(s.fs->Rename(kRootIno, "f.bin", a->ino, "g.bin", false).ok());
  s.uploader->Start();
  s.Drain();
  CHECK(FilesNamed(fx, "f.bin").empty());
  auto g = FilesNamed(fx, "g.bin");
  REQUIRE(g.size() == 1);
  CHECK(g[0]["id"] == id);
  auto folder = FilesNamed(fx, "a");
  REQUIRE(folder.size() == 1);
  CHECK(g[0]["parents"] == nlohmann::json::array({folder[0]["id"]}));
  CHECK(Md5Hex(Content(fx, id)) == Md5Hex(bytes));
  // The mount agrees: a later move starts from where Drive has it.
  CHECK(s.Ino(a->ino, "g.bin") == (*entry)->ino);
  REQUIRE(s.fs->Rename(a->ino, "g.bin", kRootIno, "h.bin", false).ok());
  auto h = FilesNamed(fx, "h.bin");
  REQUIRE(h.size() == 1);
  CHECK(h[0]["parents"][0] != folder[0]["id"]);
}

TEST_CASE(
    "A rename starts from where Drive has the file when the mount thinks "
    "otherwise",
    "[integration][write]") {
  EmulatorFixture fx;
  auto x = fx.Mkdir("x");
  auto y = fx.Mkdir("y");
  auto f = fx.Upload("f.txt", "bytes", x["id"]);
  testing::TempDir dir;
  Stack s(fx, dir.path());
  const uint64_t xi = s.Ino(kRootIno, "x");
  REQUIRE(s.Ino(xi, "f.txt") != 0);  // listed: the mount shows it in x
  // Moved to y on Drive, unheard here (as when a move's answer is lost).
  fx.Patch(f["id"],
           "?addParents=" + y["id"].get<std::string>() +
               "&removeParents=" + x["id"].get<std::string>(),
           nlohmann::json::object());
  // From x, as the mount shows it: Drive answers cannotAddParent, and the
  // rename asks Drive where the file is and moves it from there.
  REQUIRE(s.fs->Rename(xi, "f.txt", kRootIno, "g.txt", false).ok());
  auto root = fx.Call("GET", "/drive/v3/files/root?fields=id");
  REQUIRE(root.status == 200);
  auto g = FilesNamed(fx, "g.txt");
  REQUIRE(g.size() == 1);
  CHECK(g[0]["id"] == f["id"]);
  CHECK(g[0]["parents"] == nlohmann::json::array({root.json()["id"]}));
  CHECK(s.ReadAll(s.Ino(kRootIno, "g.txt")) == "bytes");
}

TEST_CASE("Deleted before its upload, a file never reaches Drive",
          "[integration][write]") {
  EmulatorFixture fx;
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  s.WriteNew(kRootIno, "gone.bin", Pattern(1000));
  REQUIRE(s.fs->Unlink(kRootIno, "gone.bin").ok());
  CHECK_FALSE(s.fs->Lookup(kRootIno, "gone.bin").ok());
  s.uploader->Start();
  s.Drain();
  CHECK(FilesNamed(fx, "gone.bin").empty());
  CHECK(fx.Stats()["methods"].value("files.create.multipart", 0) == 0);
}

TEST_CASE("An unlink Drive refuses leaves the file and its journaled bytes",
          "[integration][write]") {
  EmulatorFixture fx;
  auto kept = fx.Upload("kept.txt", "theirs");
  const std::string id = kept["id"];
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);  // the edit stays journaled
  s.Overwrite(s.Ino(kRootIno, "kept.txt"), "mine!!");  // accepted by close()
  // The owner takes edit access away: Drive refuses the trash.
  auto set_read_only = [&fx, &id](bool ro) { SetReadOnly(fx, id, ro); };
  set_read_only(true);
  Status removed = s.fs->Unlink(kRootIno, "kept.txt");
  INFO(removed.ToString());
  CHECK(removed.code() == StatusCode::kPermissionDenied);  // EACCES
  // Nothing lost: still here, with the bytes close() accepted, journaled.
  CHECK(s.ReadAll(s.Ino(kRootIno, "kept.txt")) == "mine!!");
  auto row = s.store->GetUpload(id).value();
  REQUIRE(row.has_value());
  CHECK(row->md5 == Md5Hex("mine!!"));
  CHECK(Content(fx, id) == "theirs");
  // Access back: the edit reaches Drive, and then the unlink works.
  set_read_only(false);
  s.uploader->Start();
  s.Drain();
  CHECK(Content(fx, id) == "mine!!");
  REQUIRE(s.fs->Unlink(kRootIno, "kept.txt").ok());
  auto files = FilesNamed(fx, "kept.txt");
  REQUIRE(files.size() == 1);
  CHECK(files[0]["trashed"] == true);
  CHECK(files[0]["md5Checksum"] == Md5Hex("mine!!"));
}

TEST_CASE(
    "An unlink Drive refuses while that file uploads stops the upload and "
    "keeps the bytes",
    "[integration][write]") {
  EmulatorFixture fx;
  auto kept = fx.Upload("kept.bin", "theirs");
  const std::string id = kept["id"];
  const std::string mine = Pattern(10 * 1024 * 1024);  // 8 MiB chunks: 2
  std::unique_ptr<testing::GatedTransport> gate;       // outlives the stack
  StackTweaks tweaks;
  tweaks.through = [&gate](HttpTransport* inner) {
    gate = std::make_unique<testing::GatedTransport>(inner, "upload.chunk");
    gate->Hold(1);
    return gate.get();
  };
  // The unlink asked the upload to stop: only now may its first chunk go
  // (the attempt then reads the second, and stops there).
  tweaks.uploader = [&gate](cache::UploaderOptions* o) {
    o->on_stop_requested = [&gate](const std::string&) { gate->Open(); };
  };
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/true, tweaks);
  auto opened = s.fs->Open(s.Ino(kRootIno, "kept.bin"), O_WRONLY | O_TRUNC);
  REQUIRE(opened.ok());
  for (size_t off = 0; off < mine.size(); off += 1 << 20)
    REQUIRE(s.fs->Write(opened->fh, static_cast<int64_t>(off),
                        mine.data() + off, 1 << 20)
                .ok());
  REQUIRE(s.fs->Flush(opened->fh).ok());  // accepted by close()
  s.fs->Release(opened->fh);
  gate->WaitHeld();  // the upload is in flight, its first chunk held
  auto set_read_only = [&fx, &id](bool ro) { SetReadOnly(fx, id, ro); };
  set_read_only(true);
  Status removed = s.fs->Unlink(kRootIno, "kept.bin");
  INFO(removed.ToString());
  CHECK(removed.code() == StatusCode::kPermissionDenied);  // EACCES
  // Nothing lost: the row and the bytes are still here.
  auto row = s.store->GetUpload(id).value();
  REQUIRE(row.has_value());
  CHECK(row->md5 == Md5Hex(mine));
  CHECK(s.ReadAll(s.Ino(kRootIno, "kept.bin")) == mine);
  set_read_only(false);
  s.uploader->Kick();
  s.Drain();
  CHECK(Content(fx, id) == mine);
}

TEST_CASE("An unmount's drain reports only what it uploaded itself",
          "[integration][write]") {
  // Lines for uploads before it are not kept: a mount that runs for months
  // would otherwise hold one for every file it ever uploaded.
  EmulatorFixture fx;
  testing::TempDir dir;
  Stack s(fx, dir.path());
  s.WriteNew(kRootIno, "early.bin", Pattern(1000, 3));
  const std::string id =
      s.store->GetByIno(s.Ino(kRootIno, "early.bin")).value()->id;
  REQUIRE(s.uploader->WaitFor(id, kDrainTimeout).ok());
  std::vector<std::string> lines;
  auto left = s.uploader->Drain(
      kDrainTimeout, [&](const std::string& line) { lines.push_back(line); });
  REQUIRE(left.ok());
  CHECK(*left == 0);
  CHECK(lines.empty());
  CHECK(FilesNamed(fx, "early.bin").size() == 1);
}

TEST_CASE("Namespace operations: mkdir, rename, move, replace, rmdir",
          "[integration][write]") {
  EmulatorFixture fx;
  auto old = fx.Upload("target.txt", "old target");
  testing::TempDir dir;
  Stack s(fx, dir.path());
  auto a = s.fs->Mkdir(kRootIno, "a");
  REQUIRE(a.ok());
  auto b = s.fs->Mkdir(a->ino, "b");
  REQUIRE(b.ok());
  CHECK(s.fs->Mkdir(kRootIno, "a").status().code() ==
        StatusCode::kAlreadyExists);
  s.WriteNew(b->ino, "f.txt", "hello");
  // A pending new file renamed and moved before its upload.
  REQUIRE(s.fs->Rename(b->ino, "f.txt", a->ino, "g.txt", false).ok());
  s.Drain();
  auto g = FilesNamed(fx, "g.txt");
  REQUIRE(g.size() == 1);
  auto a_on_drive = FilesNamed(fx, "a");
  REQUIRE(a_on_drive.size() == 1);
  CHECK(g[0]["parents"][0] == a_on_drive[0]["id"]);
  CHECK(Content(fx, g[0]["id"]) == "hello");
  CHECK(FilesNamed(fx, "f.txt").empty());

  // rename over an existing file replaces it (the old one goes to trash).
  REQUIRE(s.fs->Rename(a->ino, "g.txt", kRootIno, "target.txt", false).ok());
  auto targets = FilesNamed(fx, "target.txt");
  std::set<std::string> live;
  for (const auto& t : targets)
    if (!t["trashed"].get<bool>()) live.insert(t["id"]);
  CHECK(live == std::set<std::string>{g[0]["id"]});
  CHECK(Content(fx, g[0]["id"]) == "hello");
  CHECK(s.ReadAll(s.Ino(kRootIno, "target.txt")) == "hello");
  (void)old;

  CHECK(s.fs->Rmdir(kRootIno, "a").code() == StatusCode::kNotEmpty);
  CHECK(s.fs->Unlink(kRootIno, "a").code() == StatusCode::kIsDirectory);
  CHECK(s.fs->Rename(kRootIno, "a", b->ino, "x", false).code() ==
        StatusCode::kInvalidArgument);  // into itself
  REQUIRE(s.fs->Rmdir(a->ino, "b").ok());
  REQUIRE(s.fs->Rmdir(kRootIno, "a").ok());
  CHECK_FALSE(s.fs->Lookup(kRootIno, "a").ok());
  auto trashed = FilesNamed(fx, "a");
  REQUIRE(trashed.size() == 1);
  CHECK(trashed[0]["trashed"] == true);
}

TEST_CASE("rmdir never trashes what Drive still has in the folder",
          "[integration][write]") {
  EmulatorFixture fx;
  auto old_dir = fx.Mkdir("old");
  auto other = fx.Mkdir("other");
  auto kept = fx.Upload("kept.txt", "v1", old_dir["id"]);
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);  // uploads wait
  const uint64_t old_ino = s.Ino(kRootIno, "old");
  // Edited (journaled), then moved out: Drive still has it in old/.
  s.Overwrite(s.Ino(old_ino, "kept.txt"), "v2");
  REQUIRE(s.fs->Rename(old_ino, "kept.txt", kRootIno, "moved.txt", false).ok());
  // Meanwhile another client puts a file into other/, unseen here.
  fx.Upload("theirs.txt", "x", other["id"]);
  CHECK(s.fs->Rmdir(kRootIno, "other").code() == StatusCode::kNotEmpty);
  REQUIRE(s.fs->Rmdir(kRootIno, "old").ok());
  s.uploader->Start();
  s.Drain();
  auto files = FilesNamed(fx, "moved.txt");
  REQUIRE(files.size() == 1);
  CHECK(files[0]["id"] == kept["id"]);
  CHECK(files[0]["trashed"] == false);
  CHECK(files[0]["parents"][0] == fx.emu().store().root_id());
  CHECK(Content(fx, kept["id"]) == "v2");
  CHECK(FilesNamed(fx, "theirs.txt")[0]["trashed"] == false);
  CHECK(FilesNamed(fx, "other")[0]["trashed"] == false);
  CHECK(FilesNamed(fx, "old")[0]["trashed"] == true);
}

TEST_CASE(
    "A file moved out of a folder that Drive then trashes comes back where "
    "it was moved, not as a conflict",
    "[integration][write]") {
  // The window rmdir cannot close: its check saw the folder empty on Drive,
  // then an upload in flight landed there (a create begun before the
  // move), then the trash took it along. Or another client trashed the
  // folder. Either way the file is implicitly trashed, its journaled folder
  // is elsewhere: the move is the user's latest word on it.
  EmulatorFixture fx;
  auto old_dir = fx.Mkdir("old");
  auto kept = fx.Upload("kept.txt", "v1", old_dir["id"]);
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);  // uploads wait
  const uint64_t old_ino = s.Ino(kRootIno, "old");
  s.Overwrite(s.Ino(old_ino, "kept.txt"), "v2");
  REQUIRE(s.fs->Rename(old_ino, "kept.txt", kRootIno, "moved.txt", false).ok());
  fx.Patch(old_dir["id"], "", {{"trashed", true}});
  REQUIRE(FilesNamed(fx, "kept.txt")[0]["trashed"] == true);
  s.uploader->Start();
  s.Drain();
  auto files = FilesNamed(fx, "moved.txt");
  REQUIRE(files.size() == 1);
  CHECK(files[0]["id"] == kept["id"]);
  CHECK(files[0]["trashed"] == false);
  CHECK(files[0]["parents"][0] == fx.emu().store().root_id());
  CHECK(Content(fx, kept["id"]) == "v2");
  CHECK(s.uploader->stats().conflicts == 0);
  auto root = fx.Call("GET", "/drive/v3/files?fields=files(name)&q=" +
                                 Q("'root' in parents and trashed = false"));
  REQUIRE(root.status == 200);
  const nlohmann::json listing = root.json();
  std::set<std::string> names;
  for (const auto& f : listing["files"]) names.insert(f["name"]);
  CHECK(names == std::set<std::string>{"moved.txt"});
}

TEST_CASE(
    "A file explicitly trashed on Drive while edited here is kept as a "
    "conflict copy",
    "[integration][write]") {
  EmulatorFixture fx;
  auto f = fx.Upload("notes.txt", "v1");
  auto elsewhere = fx.Mkdir("elsewhere");
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  s.Overwrite(s.Ino(kRootIno, "notes.txt"), "v2");
  REQUIRE(s.fs->Rename(kRootIno, "notes.txt", s.Ino(kRootIno, "elsewhere"),
                       "notes.txt", false)
              .ok());
  // Trashed by itself, not with its folder: someone meant this file.
  fx.Patch(f["id"], "", {{"trashed", true}});
  s.uploader->Start();
  s.Drain();
  CHECK(FilesNamed(fx, "notes.txt")[0]["trashed"] == true);
  CHECK(s.uploader->stats().conflicts == 1);
  auto in = fx.Call("GET", "/drive/v3/files?fields=files(id,name)&q=" +
                               Q("'" + std::string(elsewhere["id"]) +
                                 "' in parents and trashed = false"));
  REQUIRE(in.status == 200);
  REQUIRE(in.json()["files"].size() == 1);
  CHECK(in.json()["files"][0]["name"].get<std::string>().rfind(
            "notes (conflict ", 0) == 0);
  CHECK(Content(fx, in.json()["files"][0]["id"]) == "v2");
}

TEST_CASE("A modification time set after writing reaches Drive",
          "[integration][write]") {
  // rsync -t, tar and cp -p set it once the bytes are written: journaled
  // files carry it to Drive with their upload.
  EmulatorFixture fx;
  auto same = fx.Upload("same.txt", "abc");
  fx.Upload("plain.txt", "xyz");
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  const int64_t t2020 = 1577836800000;  // 2020-01-01T00:00:00Z
  const int64_t t2021 = 1609459200123;  // 2021-01-01T00:00:00.123Z
  auto touch = [&](const std::string& name, int64_t ms) {
    SetAttrRequest req;
    req.mtime_ms = ms;
    auto a = s.fs->SetAttr(s.Ino(kRootIno, name), req, 0);
    REQUIRE(a.ok());
    CHECK(a->mtime_ms == ms);
  };
  auto drive_time = [&](const std::string& name) {
    auto r = fx.Call("GET", "/drive/v3/files?fields=files(modifiedTime)&q=" +
                                Q("name = '" + name + "'"));
    REQUIRE(r.status == 200);
    return r.json()["files"][0]["modifiedTime"].get<std::string>();
  };
  s.WriteNew(kRootIno, "new.bin", Pattern(300 * 1000));
  touch("new.bin", t2020);
  // Journaled with the very bytes Drive has: the upload sends nothing,
  // and must still set the time.
  s.Overwrite(s.Ino(kRootIno, "same.txt"), "abc");
  touch("same.txt", t2021);
  // Not journaled: Drive is told at once.
  touch("plain.txt", t2020);
  CHECK(drive_time("plain.txt") == "2020-01-01T00:00:00.000Z");
  s.uploader->Start();
  s.Drain();
  CHECK(drive_time("new.bin") == "2020-01-01T00:00:00.000Z");
  CHECK(drive_time("same.txt") == "2021-01-01T00:00:00.123Z");
  CHECK(Content(fx, same["id"]) == "abc");
  auto a = s.fs->GetAttr(s.Ino(kRootIno, "new.bin"));
  REQUIRE(a.ok());
  CHECK(a->mtime_ms == t2020);
}

TEST_CASE("Folders made and removed leave no view behind",
          "[integration][write]") {
  EmulatorFixture fx;
  testing::TempDir dir;
  Stack s(fx, dir.path());
  REQUIRE(s.fs->ReadDir(kRootIno).ok());
  const size_t before = s.tree->view_stats().views;
  for (int i = 0; i < 20; ++i) {
    auto made = s.fs->Mkdir(kRootIno, "d" + std::to_string(i));
    REQUIRE(made.ok());
    REQUIRE(s.fs->ReadDir(made->ino).ok());  // its view is built
    REQUIRE(s.fs->Rmdir(kRootIno, "d" + std::to_string(i)).ok());
  }
  CHECK(s.tree->view_stats().views == before);
}

TEST_CASE("An edit of an existing file costs one files.update",
          "[integration][write]") {
  // The content upload carries name and time; nothing is patched apart.
  EmulatorFixture fx;
  auto f = fx.Upload("notes.txt", "v1");
  testing::TempDir dir;
  Stack s(fx, dir.path(), /*start=*/false);
  s.Overwrite(s.Ino(kRootIno, "notes.txt"), "v2");
  auto updates = [&fx] {
    return fx.Stats()["methods"].value("files.update", int64_t{0});
  };
  const int64_t before = updates();
  s.uploader->Start();
  s.Drain();
  CHECK(Content(fx, f["id"]) == "v2");
  CHECK(updates() - before == 1);
}

TEST_CASE("chmod, chown and symlinks outside the mount survive a remount",
          "[integration][write]") {
  EmulatorFixture fx;
  auto f = fx.Upload("script.sh", "echo hi");
  testing::TempDir dir;
  {
    Stack s(fx, dir.path());
    uint64_t ino = s.Ino(kRootIno, "script.sh");
    SetAttrRequest chmod;
    chmod.mode = 0751;
    chmod.uid = 4321;
    REQUIRE(s.fs->SetAttr(ino, chmod, 0).ok());
    auto a = s.fs->GetAttr(ino);
    REQUIRE(a.ok());
    CHECK((a->mode & 07777) == 0751);
    CHECK(a->uid == 4321);
    // A new file's mode rides on its create.
    s.WriteNew(kRootIno, "new.bin", "x");
    SetAttrRequest ro;
    ro.mode = 0600;
    REQUIRE(s.fs->SetAttr(s.Ino(kRootIno, "new.bin"), ro, 0).ok());
    auto link = s.fs->Symlink("/usr/bin/env", kRootIno, "env-link");
    INFO(link.status().ToString());
    REQUIRE(link.ok());
    CHECK(S_ISLNK(link->mode));
    CHECK(s.fs->ReadLink(link->ino).value() == "/usr/bin/env");
    auto inside = s.fs->Symlink("script.sh", kRootIno, "inside-link");
    REQUIRE(inside.ok());
    s.Drain();
  }
  // On Drive, in appProperties (google-drive-ocamlfuse's keys).
  auto props = fx.Call("GET", "/drive/v3/files/" + std::string(f["id"]) +
                                  "?fields=appProperties")
                   .json();
  CHECK(props["appProperties"]["mode"] == "751");
  CHECK(props["appProperties"]["uid"] == "4321");
  // A fresh mount (new state) reads them back from Drive.
  testing::TempDir other;
  Stack s(fx, other.path());
  auto a = s.fs->GetAttr(s.Ino(kRootIno, "script.sh"));
  REQUIRE(a.ok());
  CHECK((a->mode & 07777) == 0751);
  CHECK(a->uid == 4321);
  auto n = s.fs->GetAttr(s.Ino(kRootIno, "new.bin"));
  REQUIRE(n.ok());
  CHECK((n->mode & 07777) == 0600);
  uint64_t link = s.Ino(kRootIno, "env-link");
  CHECK(S_ISLNK(s.fs->GetAttr(link)->mode));
  CHECK(s.fs->ReadLink(link).value() == "/usr/bin/env");
  uint64_t shortcut = s.Ino(kRootIno, "inside-link");
  CHECK(s.fs->ReadLink(shortcut).value() == "script.sh");
}

TEST_CASE("Over quota: fsync says ENOSPC and the bytes stay journaled",
          "[integration][write]") {
  EmulatorFixture fx;
  testing::TempDir dir;
  const std::string bytes = Pattern(300000, 9);
  {
    Stack s(fx, dir.path());
    OpenFile opened;
    auto a = s.fs->Create(kRootIno, "big.bin", O_WRONLY, &opened);
    REQUIRE(a.ok());
    REQUIRE(s.fs->Write(opened.fh, 0, bytes.data(), bytes.size()).ok());
    // Drive fills up after the write was accepted (another client's
    // upload, say): the quota is refused at upload time.
    fx.emu().store().set_quota_limit(100000);
    CHECK(s.fs->Flush(opened.fh).ok());  // close() still succeeds
    Status synced = s.fs->Fsync(opened.fh);
    CHECK(synced.code() == StatusCode::kQuotaExceeded);  // ENOSPC
    s.fs->Release(opened.fh);
    const std::string id = s.store->GetByIno(a->ino).value()->id;
    auto row = s.store->GetUpload(id).value();
    REQUIRE(row.has_value());
    CHECK(row->attempts >= 1);
    CHECK_THAT(row->last_error, Catch::Contains("quota"));
    CHECK(s.ReadAll(a->ino) == bytes);  // still readable here
  }
  CHECK(FilesNamed(fx, "big.bin").empty());
  // Room again (the user emptied the trash, say): the next mount uploads.
  fx.emu().store().set_quota_limit(0);
  Stack s(fx, dir.path());
  s.Drain();
  auto files = FilesNamed(fx, "big.bin");
  REQUIRE(files.size() == 1);
  CHECK(files[0]["md5Checksum"] == Md5Hex(bytes));
}

TEST_CASE("Edit access lost: fsync says EACCES and the bytes stay journaled",
          "[integration][write]") {
  EmulatorFixture fx;
  auto shared = fx.Upload("shared.txt", "theirs");
  auto folder = fx.Mkdir("team");
  testing::TempDir dir;
  auto set_read_only = [&fx](const std::string& id, bool ro) {
    SetReadOnly(fx, id, ro);
  };
  {
    Stack s(fx, dir.path());
    auto opened = s.fs->Open(s.Ino(kRootIno, "shared.txt"), O_RDWR);
    REQUIRE(opened.ok());
    const uint64_t team = s.Ino(kRootIno, "team");
    // The owner takes edit access away while this mount writes.
    set_read_only(shared["id"], true);
    set_read_only(folder["id"], true);
    REQUIRE(s.fs->Write(opened->fh, 0, "mine!!", 6).ok());
    CHECK(s.fs->Flush(opened->fh).ok());  // close() still succeeds
    Status synced = s.fs->Fsync(opened->fh);
    INFO(synced.ToString());
    CHECK(synced.code() == StatusCode::kPermissionDenied);  // EACCES
    s.fs->Release(opened->fh);
    OpenFile created;
    auto a = s.fs->Create(team, "new.txt", O_WRONLY, &created);
    REQUIRE(a.ok());
    REQUIRE(s.fs->Write(created.fh, 0, "fresh", 5).ok());
    CHECK(s.fs->Fsync(created.fh).code() == StatusCode::kPermissionDenied);
    s.fs->Release(created.fh);
    // Kept: journaled with the reason, readable here.
    auto row = s.store->GetUpload(shared["id"]).value();
    REQUIRE(row.has_value());
    CHECK_THAT(row->last_error, Catch::Contains("insufficientFilePermissions"));
    CHECK(s.ReadAll(s.Ino(kRootIno, "shared.txt")) == "mine!!");
    CHECK(s.ReadAll(a->ino) == "fresh");
  }
  CHECK(Content(fx, shared["id"]) == "theirs");
  CHECK(FilesNamed(fx, "new.txt").empty());
  // Access given back: the next mount uploads both.
  set_read_only(shared["id"], false);
  set_read_only(folder["id"], false);
  Stack s(fx, dir.path());
  s.Drain();
  CHECK(Content(fx, shared["id"]) == "mine!!");
  auto files = FilesNamed(fx, "new.txt");
  REQUIRE(files.size() == 1);
  CHECK(files[0]["parents"][0] == folder["id"]);
  CHECK(files[0]["md5Checksum"] == Md5Hex("fresh"));
}

TEST_CASE("Writing a Google Doc is refused, hard links are not a thing",
          "[integration][write]") {
  EmulatorFixture fx;
  auto doc = fx.Call(
      "POST", "/drive/v3/files",
      R"({"name":"Plan","mimeType":"application/vnd.google-apps.document"})",
      {"Content-Type: application/json"});
  REQUIRE(doc.status == 200);
  testing::TempDir dir;
  Stack s(fx, dir.path());
  uint64_t ino = s.Ino(kRootIno, "Plan.docx");
  CHECK(s.fs->Open(ino, O_WRONLY).status().code() ==
        StatusCode::kPermissionDenied);
  CHECK(s.fs->Open(ino, O_RDONLY).ok());
}

}  // namespace
}  // namespace gdmount::vfs
