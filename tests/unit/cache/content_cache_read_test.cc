// ContentCache read path against a FakeDrive: bytes, clamping, shared and
// parallel fetches, and every way a download can go wrong.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/cache/cache_rig.h"

namespace gdmount::cache::testing {
namespace {

TEST_CASE("small file reads back, second read downloads nothing",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(100);
  FileKey key = rig.Add("small", bytes);
  CHECK(rig.Read(key, 0, 4096) == bytes);
  CHECK(rig.drive.downloads() == 1);
  CHECK(rig.Read(key, 10, 20) == bytes.substr(10, 20));
  CHECK(rig.drive.downloads() == 1);
  CacheStats stats = rig.cache->stats();
  CHECK(stats.bytes_cached == 100);
  CHECK(stats.files == 1);
  CHECK(stats.hits == 1);
  CHECK(stats.misses == 1);
  CHECK(stats.fetches == 1);
}

TEST_CASE("multi-chunk file: whole, unaligned and cross-chunk reads",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(10 * kChunk + 123, 2);
  FileKey key = rig.Add("big", bytes);
  // Straddles chunks 1 and 2: exactly those two are fetched.
  CHECK(rig.Read(key, kChunk + 100, kChunk) ==
        bytes.substr(kChunk + 100, kChunk));
  CHECK(rig.drive.downloads() == 2);
  CHECK(rig.drive.ranges()[0] == std::make_pair(kChunk, kChunk));
  CHECK(rig.drive.ranges()[1] == std::make_pair(2 * kChunk, kChunk));
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);
  CHECK(rig.drive.downloads() == 11);
  // The last chunk is requested short, exactly to the end of the file.
  CHECK(rig.drive.ranges().back() == std::make_pair(10 * kChunk, int64_t{123}));
  for (int64_t off : {int64_t{0}, kChunk - 1, 3 * kChunk, 10 * kChunk + 100}) {
    CHECK(rig.Read(key, off, 77) == bytes.substr(off, 77));
  }
  CHECK(rig.drive.downloads() == 11);
  CHECK(rig.cache->stats().bytes_cached == static_cast<int64_t>(bytes.size()));
}

TEST_CASE("reads at or after EOF return 0, reads across it are clamped",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(kChunk + 10, 3);
  FileKey key = rig.Add("f", bytes);
  CHECK(rig.Read(key, key.size, 100).empty());
  CHECK(rig.Read(key, key.size + 5000, 100).empty());
  CHECK(rig.drive.downloads() == 0);
  CHECK(rig.Read(key, key.size - 4, 100) == bytes.substr(key.size - 4));
  CHECK(rig.Read(key, 0, 0).empty());
}

TEST_CASE("zero-size file reads 0 bytes without a download", "[unit][cache]") {
  Rig rig;
  FileKey key = rig.Add("empty", "");
  CHECK(rig.Read(key, 0, 4096).empty());
  CHECK(rig.cache->Prefetch(key, 0, 100).ok());
  CHECK(rig.cache->IsCached(key, 0, 100));
  CHECK(rig.drive.downloads() == 0);
}

TEST_CASE("bad arguments are InvalidArgument", "[unit][cache]") {
  Rig rig;
  FileKey key = rig.Add("f", MakeBytes(10));
  char buf[8];
  CHECK(rig.cache->Read(key, -1, buf, 8).status().code() ==
        StatusCode::kInvalidArgument);
  FileKey no_id = key;
  no_id.id = "";
  CHECK(rig.cache->Read(no_id, 0, buf, 8).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(rig.cache->Prefetch(key, 0, -1).code() == StatusCode::kInvalidArgument);
  CHECK(rig.cache->Pin(no_id).code() == StatusCode::kInvalidArgument);
  ContentCacheOptions bad = rig.options;
  bad.chunk_size = 0;
  CHECK(ContentCache::Open(bad, &rig.drive).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("8 concurrent readers of one chunk share one download",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(3 * kChunk, 4);
  FileKey key = rig.Add("shared", bytes);
  rig.drive.CloseGate();
  std::vector<std::string> got(8);
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      std::string buf(1000, '\0');
      auto n = rig.cache->Read(key, kChunk + 100 * t, buf.data(), buf.size());
      if (n.ok()) got[t] = buf.substr(0, *n);
    });
  }
  REQUIRE(rig.drive.WaitForInFlight(1));
  // Give the other readers time to reach the busy chunk and wait on it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  rig.drive.OpenGate();
  for (auto& r : readers) r.join();
  CHECK(rig.drive.downloads() == 1);
  for (int t = 0; t < 8; ++t) {
    CHECK(got[t] == bytes.substr(kChunk + 100 * t, 1000));
  }
}

TEST_CASE("misses of different chunks download in parallel", "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(2 * kChunk, 5);
  FileKey key = rig.Add("par", bytes);
  rig.drive.CloseGate();
  // Worker threads call the cache directly: Catch2 macros are not
  // thread-safe.
  std::string a(10, '\0'), b(10, '\0');
  std::thread ta([&] { (void)rig.cache->Read(key, 0, a.data(), 10); });
  std::thread tb([&] { (void)rig.cache->Read(key, kChunk, b.data(), 10); });
  bool both = rig.drive.WaitForInFlight(2);
  rig.drive.OpenGate();
  ta.join();
  tb.join();
  CHECK(both);
  CHECK(a == bytes.substr(0, 10));
  CHECK(b == bytes.substr(kChunk, 10));
}

TEST_CASE("Prefetch fills a range, IsCached reports it", "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(4 * kChunk, 6);
  FileKey key = rig.Add("pre", bytes);
  CHECK_FALSE(rig.cache->IsCached(key, 0, 1));
  REQUIRE(rig.cache->Prefetch(key, kChunk + 1, kChunk).ok());
  CHECK(rig.drive.downloads() == 2);
  CHECK(rig.cache->IsCached(key, kChunk, 2 * kChunk));
  CHECK_FALSE(rig.cache->IsCached(key, 0, kChunk + 1));
  CHECK(rig.Read(key, kChunk, 2 * kChunk) == bytes.substr(kChunk, 2 * kChunk));
  CHECK(rig.drive.downloads() == 2);
  REQUIRE(rig.cache->Prefetch(key, 0, 1LL << 40).ok());  // clamped
  CHECK(rig.drive.downloads() == 4);
  CHECK(rig.cache->IsCached(key, 0, key.size + 100));
}

TEST_CASE("a download error is returned, the next read retries",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(kChunk, 7);
  FileKey key = rig.Add("flaky", bytes);
  rig.drive.FailNext(Status(StatusCode::kUnavailable, "503"));
  char buf[16];
  CHECK(rig.cache->Read(key, 0, buf, 16).status().code() ==
        StatusCode::kUnavailable);
  CHECK_FALSE(rig.cache->IsCached(key, 0, 16));
  CHECK(rig.Read(key, 0, 16) == bytes.substr(0, 16));
  CHECK(rig.drive.downloads() == 2);
}

TEST_CASE("a short download is Corruption, never short data", "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(2 * kChunk, 8);
  FileKey key = rig.Add("short", bytes);
  rig.drive.Truncate("short", kChunk + 10);  // Drive's file is shorter
  std::string buf(kChunk, '\0');
  CHECK(rig.cache->Read(key, 0, buf.data(), 10).ok());  // chunk 0 is whole
  CHECK(rig.cache->Read(key, kChunk, buf.data(), buf.size()).status().code() ==
        StatusCode::kCorruption);
  CHECK_FALSE(rig.cache->IsCached(key, kChunk, 1));
  CHECK(rig.cache->stats().corruptions == 1);
}

TEST_CASE("md5 mismatch is Corruption, the next read refetches",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(1000, 9);
  FileKey key = rig.Add("bad", bytes);
  rig.drive.CorruptNext("bad");
  char buf[1000];
  CHECK(rig.cache->Read(key, 0, buf, 1000).status().code() ==
        StatusCode::kCorruption);
  CHECK(rig.cache->stats().corruptions == 1);
  CHECK_FALSE(rig.cache->IsCached(key, 0, 1));
  CHECK(rig.Read(key, 0, 1000) == bytes);
  CHECK(rig.drive.downloads() == 2);
}

TEST_CASE("multi-chunk md5 mismatch is caught when the file completes",
          "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(3 * kChunk, 10);
  FileKey key = rig.Add("bad3", bytes);
  rig.drive.CorruptNext("bad3");  // corrupts chunk 0's download
  std::string buf(kChunk, '\0');
  // Chunks 0 and 1 are served unchecked (Drive has only a whole-file md5),
  // and so may be the read whose chunk completes the file if its bytes
  // arrive before the rest of that chunk; once the file is complete, every
  // read is refused.
  CHECK(rig.cache->Read(key, 0, buf.data(), 10).ok());
  CHECK(rig.cache->Read(key, kChunk, buf.data(), 10).ok());
  Status last = rig.cache->Read(key, 2 * kChunk, buf.data(), 10).status();
  rig.cache->WaitIdle();
  if (last.ok()) last = rig.cache->Read(key, kChunk, buf.data(), 10).status();
  CHECK(last.code() == StatusCode::kCorruption);
  CHECK(rig.cache->stats().files == 0);
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);  // refetched, verified
  CHECK(rig.drive.downloads() == 6);
}

TEST_CASE("a file without md5 is served without a check", "[unit][cache]") {
  Rig rig;
  std::string bytes = MakeBytes(100, 11);
  FileKey key = rig.Add("nomd5", bytes);
  key.md5 = "";
  key.version = "42";
  CHECK(rig.Read(key, 0, 100) == bytes);
}

}  // namespace
}  // namespace gdmount::cache::testing
