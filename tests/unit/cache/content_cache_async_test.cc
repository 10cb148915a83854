// ContentCache's read path for speed: downloads on a bounded pool, reads
// served as soon as their bytes arrive, read-ahead without blocking, and
// right-sized direct reads for random access.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/unit/cache/cache_rig.h"

namespace gdmount::cache::testing {
namespace {

constexpr int64_t kPart = 64 * 1024;

TEST_CASE("A read returns once its bytes arrived, before its chunk is done",
          "[unit][cache]") {
  Rig rig(kPart);
  std::string bytes = MakeBytes(200 * 1024);
  FileKey key = rig.Add("f", bytes);
  rig.drive.PauseAfter(10000);
  // The first 4 KiB are on disk while the download is held mid-chunk.
  std::string first(4096, '\0');
  REQUIRE(rig.cache->Read(key, 0, first.data(), first.size()).ok());
  CHECK(first == bytes.substr(0, 4096));
  REQUIRE(rig.drive.WaitForPaused(1));
  CHECK_FALSE(rig.cache->IsCached(key, 0, 4096));  // chunk not complete
  // A read further into the same chunk waits for those bytes, sharing the
  // one download.
  std::string later(30000, '\0');
  Status later_status;
  std::thread reader([&] {
    later_status =
        rig.cache->Read(key, 20000, later.data(), later.size()).status();
  });
  rig.drive.Resume();
  reader.join();
  CHECK(later_status.ok());
  CHECK(later == bytes.substr(20000, 30000));
  CHECK(rig.drive.downloads() == 1);
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);
}

TEST_CASE("PrefetchAsync queues parts without waiting for them",
          "[unit][cache]") {
  Rig rig(kPart);
  std::string bytes = MakeBytes(4 * kPart + 100);
  FileKey key = rig.Add("f", bytes);
  rig.drive.CloseGate();
  REQUIRE(rig.cache->PrefetchAsync(key, 0, bytes.size()).ok());  // no wait
  CHECK(rig.drive.WaitForInFlight(5));  // all five parts at once
  CHECK(rig.cache->IsCachedOrFetching(key, 0, bytes.size()));
  CHECK_FALSE(rig.cache->IsCached(key, 0, bytes.size()));
  rig.drive.OpenGate();
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);
  CHECK(rig.drive.downloads() == 5);  // the read reused every prefetch
  // Asking again for what is present costs nothing.
  REQUIRE(rig.cache->PrefetchAsync(key, 0, bytes.size()).ok());
  CHECK(rig.drive.downloads() == 5);
}

TEST_CASE("Downloads in flight never exceed fetch_threads", "[unit][cache]") {
  Rig rig(kPart);
  rig.options.fetch_threads = 3;
  rig.Reopen();
  std::string bytes = MakeBytes(10 * kPart);
  FileKey key = rig.Add("f", bytes);
  rig.drive.CloseGate();
  REQUIRE(rig.cache->PrefetchAsync(key, 0, bytes.size()).ok());
  REQUIRE(rig.drive.WaitForInFlight(3));
  rig.drive.OpenGate();
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);
  CHECK(rig.drive.max_in_flight() == 3);
  CHECK(rig.drive.downloads() == 10);
}

TEST_CASE("ReadDirect asks for exactly the range, unless it is cached",
          "[unit][cache]") {
  Rig rig(kPart);
  std::string bytes = MakeBytes(3 * kPart);
  FileKey key = rig.Add("f", bytes);
  std::string buf(3000, '\0');
  auto got = rig.cache->ReadDirect(key, kPart + 5000, buf.data(), buf.size());
  REQUIRE(got.ok());
  CHECK(*got == 3000);
  CHECK(buf == bytes.substr(kPart + 5000, 3000));
  REQUIRE(rig.drive.ranges().size() == 1);
  CHECK(rig.drive.ranges()[0] == std::make_pair(kPart + 5000, int64_t{3000}));
  CHECK_FALSE(rig.cache->IsCached(key, kPart, 1));  // not kept
  // Clamped at the end of the file.
  got = rig.cache->ReadDirect(key, 3 * kPart - 100, buf.data(), buf.size());
  REQUIRE(got.ok());
  CHECK(*got == 100);
  CHECK(rig.drive.ranges().back() ==
        std::make_pair(3 * kPart - 100, int64_t{100}));
  // A present chunk is served from the cache.
  rig.Read(key, 0, 10);
  int before = rig.drive.downloads();
  got = rig.cache->ReadDirect(key, 200, buf.data(), 1000);
  REQUIRE(got.ok());
  CHECK(std::string(buf.data(), 1000) == bytes.substr(200, 1000));
  CHECK(rig.drive.downloads() == before);
  // A short answer is an error, never short data.
  rig.drive.Truncate("f", 2 * kPart);
  got = rig.cache->ReadDirect(key, 2 * kPart + 10, buf.data(), 1000);
  CHECK(got.status().code() == StatusCode::kCorruption);
}

TEST_CASE("A seek back into a part still in flight waits for it",
          "[unit][cache]") {
  Rig rig(kPart);
  std::string bytes = MakeBytes(4 * kPart);
  FileKey key = rig.Add("f", bytes);
  rig.drive.PauseAfter(2000);
  REQUIRE(rig.cache->PrefetchAsync(key, 2 * kPart, kPart).ok());
  REQUIRE(rig.drive.WaitForPaused(1));
  // The held part already has its first 2000 bytes: served from it.
  std::string buf(1000, '\0');
  auto got = rig.cache->ReadDirect(key, 2 * kPart + 500, buf.data(), 1000);
  REQUIRE(got.ok());
  CHECK(buf == bytes.substr(2 * kPart + 500, 1000));
  std::string tail(5000, '\0');
  Status tail_status;
  std::thread reader([&] {
    tail_status =
        rig.cache->ReadDirect(key, 3 * kPart - 5000, tail.data(), 5000)
            .status();
  });
  rig.drive.Resume();
  reader.join();
  CHECK(tail_status.ok());
  CHECK(tail == bytes.substr(3 * kPart - 5000, 5000));
  CHECK(rig.drive.downloads() == 1);  // no second download of that part
}

}  // namespace
}  // namespace gdmount::cache::testing
