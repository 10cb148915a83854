// ContentCache entries over time: versions, invalidation, restart, and
// what the cache directory looks like on disk.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <string>

#include "tests/unit/cache/cache_rig.h"

namespace gdmount::cache::testing {
namespace {

int Mode(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

size_t CountSuffix(const std::vector<std::string>& files, const char* suffix) {
  size_t n = 0;
  for (const auto& f : files) {
    if (f.size() > strlen(suffix) &&
        f.compare(f.size() - strlen(suffix), std::string::npos, suffix) == 0) {
      ++n;
    }
  }
  return n;
}

TEST_CASE("a new version is refetched and the old one dropped",
          "[unit][cache]") {
  Rig rig;
  std::string v1 = MakeBytes(2 * kChunk, 20);
  FileKey k1 = rig.Add("doc", v1);
  CHECK(rig.Read(k1, 0, v1.size()) == v1);
  std::string v2 = MakeBytes(kChunk + 5, 21);
  FileKey k2 = rig.Add("doc", v2);  // same id, new content and version
  CHECK(rig.Read(k2, 0, v2.size()) == v2);
  CHECK(rig.drive.downloads() == 4);
  CHECK(rig.cache->stats().files == 1);
  CHECK(rig.cache->stats().bytes_cached == static_cast<int64_t>(v2.size()));
  CHECK(CountSuffix(rig.Files(), ".data") == 1);
  CHECK_FALSE(rig.cache->IsCached(k1, 0, 1));
}

TEST_CASE("a pinned old version is kept until its last Unpin",
          "[unit][cache]") {
  Rig rig;
  std::string v1 = MakeBytes(kChunk, 22);
  FileKey k1 = rig.Add("doc", v1);
  REQUIRE(rig.cache->Pin(k1).ok());
  CHECK(rig.Read(k1, 0, v1.size()) == v1);
  std::string v2 = MakeBytes(kChunk, 23);
  FileKey k2 = rig.Add("doc", v2);
  CHECK(rig.Read(k2, 0, v2.size()) == v2);
  // The open handle on v1 still reads v1's bytes, locally.
  CHECK(rig.Read(k1, 0, v1.size()) == v1);
  CHECK(rig.drive.downloads() == 2);
  rig.cache->Unpin(k1);
  CHECK_FALSE(rig.cache->IsCached(k1, 0, 1));
  CHECK(rig.cache->IsCached(k2, 0, 1));
  CHECK(rig.cache->stats().files == 1);
}

TEST_CASE("Retire refuses only the retired version, an open brings it back",
          "[unit][cache]") {
  Rig rig;
  const std::string v1 = MakeBytes(3 * kChunk, 1), v2 = MakeBytes(kChunk, 2);
  FileKey old_key = rig.Add("f", v1);
  REQUIRE(rig.cache->Pin(old_key).ok());  // an open handle
  CHECK(rig.Read(old_key, 0, kChunk) == v1.substr(0, kChunk));
  // Changed elsewhere: the version the handle has is retired.
  rig.cache->Retire("f", old_key.version);
  std::string buf(kChunk, '\0');
  for (int64_t at : {int64_t{0}, 2 * kChunk}) {  // cached, and not
    auto r = rig.cache->Read(old_key, at, buf.data(), buf.size());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kPreconditionFailed);
  }
  // Any other version reads fine: this mount's own later upload, say.
  FileKey new_key = rig.Add("f", v2);
  CHECK(rig.Read(new_key, 0, kChunk) == v2);
  rig.cache->Unpin(old_key);
  // The old bytes come back on Drive (a revert) and are opened again.
  rig.drive.Put("f", v1);
  REQUIRE(rig.cache->Pin(old_key).ok());
  CHECK(rig.Read(old_key, 2 * kChunk, kChunk) == v1.substr(2 * kChunk));
  rig.cache->Unpin(old_key);
}

TEST_CASE("A version retired while no handle has it is dropped, not kept",
          "[unit][cache]") {
  // Nothing to refuse: a mount running for months would otherwise keep a
  // record for every change it ever saw.
  Rig rig;
  const std::string v1 = MakeBytes(kChunk, 5);
  FileKey key = rig.Add("f", v1);
  CHECK(rig.Read(key, 0, kChunk) == v1);
  rig.cache->Retire("f", key.version);
  CHECK_FALSE(rig.cache->IsCached(key, 0, 1));  // its bytes went
  CHECK(rig.Read(key, 0, kChunk) == v1);        // and nothing refuses it
  // Retired while open: refused until the last handle closes, then
  // forgotten.
  REQUIRE(rig.cache->Pin(key).ok());
  rig.cache->Retire("f", key.version);
  std::string buf(kChunk, '\0');
  auto refused = rig.cache->Read(key, 0, buf.data(), buf.size());
  CHECK(refused.status().code() == StatusCode::kPreconditionFailed);
  rig.cache->Unpin(key);
  CHECK(rig.Read(key, 0, kChunk) == v1);
}

TEST_CASE("Invalidate drops every version of a file", "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(kChunk * 2, 24);
  FileKey key = rig.Add("gone", bytes);
  FileKey other = rig.Add("kept", MakeBytes(10, 25));
  rig.Read(key, 0, bytes.size());
  rig.Read(other, 0, 10);
  REQUIRE(rig.cache->Invalidate("gone").ok());
  REQUIRE(rig.cache->Invalidate("never-cached").ok());
  CHECK_FALSE(rig.cache->IsCached(key, 0, 1));
  CHECK(rig.cache->IsCached(other, 0, 10));
  CHECK(rig.cache->stats().bytes_cached == 10);
  CHECK(CountSuffix(rig.Files(), ".data") == 1);
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);
  CHECK(rig.drive.downloads() == 5);
}

TEST_CASE("reopening keeps cached chunks", "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(5 * kChunk + 7, 26);
  FileKey key = rig.Add("keep", bytes);
  FileKey whole = rig.Add("whole", MakeBytes(300, 27));
  rig.Read(key, 0, 2 * kChunk);  // chunks 0 and 1
  rig.Read(whole, 0, 300);
  REQUIRE(rig.drive.downloads() == 3);
  rig.Reopen();
  CHECK(rig.cache->stats().bytes_cached == 2 * kChunk + 300);
  CHECK(rig.cache->IsCached(key, 0, 2 * kChunk));
  CHECK_FALSE(rig.cache->IsCached(key, 2 * kChunk, 1));
  CHECK(rig.Read(key, 0, 2 * kChunk) == bytes.substr(0, 2 * kChunk));
  CHECK(rig.Read(whole, 0, 300) == MakeBytes(300, 27));
  CHECK(rig.drive.downloads() == 3);  // nothing refetched
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);
  CHECK(rig.drive.downloads() == 7);  // just the 4 missing chunks
}

TEST_CASE("reopening with another chunk size discards old entries",
          "[unit][cache]") {
  Rig rig;
  FileKey key = rig.Add("f", MakeBytes(3 * kChunk, 28));
  rig.Read(key, 0, 3 * kChunk);
  rig.options.chunk_size = 2 * kChunk;
  rig.Reopen();
  CHECK(rig.cache->stats().files == 0);
  CHECK(rig.Files() == std::vector<std::string>{"lock"});
  CHECK(rig.Read(key, 0, 3 * kChunk) == MakeBytes(3 * kChunk, 28));
}

TEST_CASE("damaged or stray files are cleaned up at reopen", "[unit][cache]") {
  Rig rig;
  FileKey a = rig.Add("a", MakeBytes(100, 29));
  FileKey b = rig.Add("b", MakeBytes(100, 30));
  rig.Read(a, 0, 100);
  rig.Read(b, 0, 100);
  std::string name_a = EntryName("a", a.version);
  std::ofstream(rig.options.dir + "/" + name_a + ".map") << "garbage";
  std::ofstream(rig.options.dir + "/stray.tmp") << "x";
  rig.Reopen();
  CHECK_FALSE(rig.cache->IsCached(a, 0, 1));
  CHECK(rig.cache->IsCached(b, 0, 100));
  CHECK(rig.Files().size() == 3);  // lock, b's .data and .map
  CHECK(rig.Read(a, 0, 100) == MakeBytes(100, 29));
}

TEST_CASE("a second cache on the same dir is refused", "[unit][cache]") {
  Rig rig;
  auto second = ContentCache::Open(rig.options, &rig.drive);
  CHECK(second.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("cache files: hashed names, dir 0700, files 0600", "[unit][cache]") {
  Rig rig;
  FileKey key = rig.Add("../../etc/passwd", MakeBytes(50, 31));
  rig.Read(key, 0, 50);
  CHECK(Mode(rig.options.dir) == 0700);
  auto files = rig.Files();
  REQUIRE(files.size() == 3);
  for (const auto& f : files) {
    CHECK(Mode(rig.options.dir + "/" + f) == 0600);
    if (f == "lock") continue;
    CHECK(f.rfind(EntryName(key.id, key.version), 0) == 0);
  }
  CHECK(EntryName("ab", "c") != EntryName("a", "bc"));
}

}  // namespace
}  // namespace gdmount::cache::testing
