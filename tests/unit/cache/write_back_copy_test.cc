// WriteBack copying Drive's content into a staging file (the first
// non-truncating open for write): readers and other writers that reach the
// staging file mid-copy wait for it, and see all of Drive's bytes or an
// error, never half a copy. A FakeDrive gate holds the copy's download.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>

#include "cache/write_back.h"
#include "tests/unit/cache/cache_rig.h"

namespace gdmount::cache::testing {
namespace {

using namespace std::chrono_literals;

struct CopyRig {
  CopyRig() {
    store = std::move(meta::MetadataStore::Open(":memory:").value());
    WriteBackOptions o;
    o.staging_dir = rig.dir.path() + "/staging";
    wb = std::make_unique<WriteBack>(store.get(), rig.cache.get(), o);
    REQUIRE(wb->Init().ok());
  }

  // A file Drive holds with `bytes`, known to the store; returns its entry.
  meta::Entry Add(const std::string& id, const std::string& bytes) {
    key = rig.Add(id, bytes);
    drive::DriveFile f;
    f.id = id;
    f.name = id + ".bin";
    f.mime_type = "application/octet-stream";
    f.parents = {"p"};
    f.size = key.size;
    f.md5 = key.md5;
    f.version = 7;
    auto e = store->PutLocal(f, "p");
    REQUIRE(e.ok());
    return *e;
  }

  Rig rig;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<WriteBack> wb;
  FileKey key;
};

std::string ReadAll(WriteBack& wb, StagedFile& f, size_t n, Status* status) {
  std::string buf(n, '\0');
  auto got = wb.Read(f, 0, buf.data(), n);
  *status = got.status();
  buf.resize(got.ok() ? *got : 0);
  return buf;
}

TEST_CASE("A read of a staging file mid-copy waits for all of Drive's bytes",
          "[unit][cache][write]") {
  CopyRig r;
  const std::string bytes = MakeBytes(3 * kChunk + 100);
  meta::Entry e = r.Add("a", bytes);
  r.rig.drive.CloseGate();
  auto writer = std::async(std::launch::async,
                           [&] { return r.wb->OpenWrite(e, r.key, false); });
  REQUIRE(r.rig.drive.WaitForInFlight(1));  // the copy has begun
  auto opened = r.wb->OpenRead("a");
  REQUIRE(opened.ok());
  REQUIRE(*opened != nullptr);  // the staging file, as the copy fills it
  Status read_status;
  auto reader = std::async(std::launch::async, [&] {
    return ReadAll(*r.wb, **opened, bytes.size() + 10, &read_status);
  });
  // Nothing can answer the read while Drive's bytes are held back.
  CHECK(reader.wait_for(200ms) == std::future_status::timeout);
  r.rig.drive.OpenGate();
  auto written = writer.get();
  REQUIRE(written.ok());
  const std::string got = reader.get();
  INFO(read_status.ToString());
  REQUIRE(read_status.ok());
  CHECK(got.size() == bytes.size());
  CHECK(got == bytes);
  r.wb->Close(*opened, false);
  r.wb->Close(*written, true);
}

TEST_CASE("When the copy fails, readers and writers waiting on it get EIO",
          "[unit][cache][write]") {
  CopyRig r;
  meta::Entry e = r.Add("a", MakeBytes(2 * kChunk));
  r.rig.drive.FailNext(IoError("connection reset"), 1000);
  r.rig.drive.CloseGate();
  auto first = std::async(std::launch::async,
                          [&] { return r.wb->OpenWrite(e, r.key, false); });
  REQUIRE(r.rig.drive.WaitForInFlight(1));
  auto opened = r.wb->OpenRead("a");
  REQUIRE(opened.ok());
  REQUIRE(*opened != nullptr);
  Status read_status;
  auto reader = std::async(std::launch::async, [&] {
    return ReadAll(*r.wb, **opened, 10, &read_status);
  });
  auto second = std::async(std::launch::async,
                           [&] { return r.wb->OpenWrite(e, r.key, false); });
  CHECK(reader.wait_for(200ms) == std::future_status::timeout);
  r.rig.drive.OpenGate();
  auto copied = first.get();
  CHECK_FALSE(copied.ok());
  reader.get();
  CHECK(read_status.code() == StatusCode::kIo);
  auto joined = second.get();
  // The second writer either waited on the failed copy (an error) or came
  // after it and copied afresh, which fails the same way here.
  CHECK_FALSE(joined.ok());
  r.wb->Close(*opened, false);
  CHECK(r.wb->staged_bytes() == 0);  // the partial copy is gone
}

TEST_CASE(
    "A finished upload drops the cached bytes of the versions it replaced",
    "[unit][cache][write]") {
  CopyRig r;
  const std::string bytes = MakeBytes(2 * kChunk);
  meta::Entry e = r.Add("a", bytes);
  CHECK(r.rig.Read(r.key, 0, bytes.size()) == bytes);
  CHECK(r.rig.cache->stats().files == 1);
  // Rewritten here and uploaded: the cached version is an old one now.
  auto f = r.wb->OpenWrite(e, r.key, /*truncate=*/true);
  REQUIRE(f.ok());
  REQUIRE(r.wb->Write(**f, 0, "new", 3).ok());
  auto generation = r.wb->Commit(**f, e, 1000);
  REQUIRE(generation.ok());
  r.wb->Close(*f, /*writer=*/true);
  drive::DriveFile uploaded = meta::FromEntry(*r.store->Get("a").value());
  uploaded.version = 8;
  auto outcome = r.wb->FinishUpload("a", *generation, uploaded);
  REQUIRE(outcome.ok());
  CHECK(*outcome == meta::MetadataStore::UploadOutcome::kDone);
  CHECK(r.rig.cache->stats().files == 0);
  CHECK(r.rig.cache->stats().bytes_cached == 0);
}

}  // namespace
}  // namespace gdmount::cache::testing
