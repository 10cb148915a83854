// ContentCache budget: LRU order at chunk granularity, pins, freed disk
// blocks, and exact bytes under concurrent eviction pressure.
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/cache/cache_rig.h"

namespace gdmount::cache::testing {
namespace {

int64_t AllocatedBytes(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return static_cast<int64_t>(st.st_blocks) * 512;
}

// Outcome counters of worker threads (Catch2 macros are not thread-safe).
struct Tally {
  std::atomic<int> bad{0};     // a read returned wrong bytes
  std::atomic<int> failed{0};  // a call returned an error
};

// `reads` random reads of up to `max_len` bytes from random files,
// checked against `contents`.
void ReadRandomly(ContentCache* cache, const std::vector<FileKey>& keys,
                  const std::vector<std::string>& contents, unsigned seed,
                  int reads, size_t max_len, Tally* tally) {
  std::mt19937 rng(seed);
  std::string buf(max_len, '\0');
  for (int i = 0; i < reads; ++i) {
    size_t f = rng() % keys.size();
    int64_t off = rng() % keys[f].size;
    auto n = cache->Read(keys[f], off, buf.data(), 1 + rng() % max_len);
    if (!n.ok()) {
      ++tally->failed;
    } else if (buf.compare(0, *n, contents[f], off, *n) != 0) {
      ++tally->bad;
    }
  }
}

// Until `stop`: invalidates, pins and unpins, or prefetches random files.
void Churn(ContentCache* cache, const std::vector<FileKey>& keys,
           const std::atomic<bool>& stop, Tally* tally) {
  std::mt19937 rng(99);
  while (!stop) {
    const FileKey& k = keys[rng() % keys.size()];
    switch (rng() % 3) {
      case 0:
        if (!cache->Invalidate(k.id).ok()) ++tally->failed;
        break;
      case 1:
        if (!cache->Pin(k).ok()) ++tally->failed;
        std::this_thread::yield();
        cache->Unpin(k);
        break;
      default:
        if (!cache->Prefetch(k, 0, k.size).ok()) ++tally->failed;
    }
  }
}

TEST_CASE("eviction keeps bytes within budget, least recently used first",
          "[unit][cache]") {
  Rig rig(kChunk, 3 * kChunk);
  FileKey a = rig.Add("a", MakeBytes(kChunk, 40));
  FileKey b = rig.Add("b", MakeBytes(kChunk, 41));
  FileKey c = rig.Add("c", MakeBytes(kChunk, 42));
  FileKey d = rig.Add("d", MakeBytes(kChunk, 43));
  rig.Read(a, 0, 10);
  rig.Read(b, 0, 10);
  rig.Read(c, 0, 10);
  rig.Read(a, 0, 10);  // a is now newer than b
  rig.Read(d, 0, 10);
  CHECK(rig.cache->stats().bytes_cached <= 3 * kChunk);
  CHECK(rig.cache->stats().evictions == 1);
  CHECK(rig.cache->IsCached(a, 0, kChunk));
  CHECK_FALSE(rig.cache->IsCached(b, 0, 1));
  CHECK(rig.cache->IsCached(c, 0, kChunk));
  CHECK(rig.cache->IsCached(d, 0, kChunk));
  CHECK(rig.cache->stats().files == 3);  // b's emptied files are deleted
  CHECK(rig.Read(b, 0, kChunk) == MakeBytes(kChunk, 41));
  CHECK(rig.drive.downloads() == 5);
}

TEST_CASE("eviction works chunk by chunk and frees disk blocks",
          "[unit][cache]") {
  Rig rig(kChunk, 3 * kChunk);
  std::string bytes = MakeBytes(8 * kChunk, 44);
  FileKey key = rig.Add("stream", bytes);
  CHECK(rig.Read(key, 0, bytes.size()) == bytes);  // one read, 8 chunks
  CHECK(rig.cache->stats().bytes_cached <= 3 * kChunk);
  CHECK(rig.cache->IsCached(key, 5 * kChunk, 3 * kChunk));
  CHECK_FALSE(rig.cache->IsCached(key, 4 * kChunk, 1));
  std::string data =
      rig.options.dir + "/" + EntryName(key.id, key.version) + ".data";
  CHECK(AllocatedBytes(data) <= 4 * kChunk);
  // The evicted head comes back from Drive, the cached tail does not.
  CHECK(rig.Read(key, 0, 10) == bytes.substr(0, 10));
  CHECK(rig.Read(key, 7 * kChunk, 10) == bytes.substr(7 * kChunk, 10));
  CHECK(rig.drive.downloads() == 9);
}

TEST_CASE("pinned files are never evicted, Unpin makes them newest",
          "[unit][cache]") {
  Rig rig(kChunk, 2 * kChunk);
  FileKey p = rig.Add("p", MakeBytes(kChunk, 45));
  REQUIRE(rig.cache->Pin(p).ok());
  rig.Read(p, 0, 10);
  std::vector<FileKey> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(
        rig.Add("o" + std::to_string(i), MakeBytes(kChunk, 50 + i)));
    rig.Read(others.back(), 0, 10);
  }
  CHECK(rig.cache->IsCached(p, 0, kChunk));
  CHECK(rig.cache->IsCached(others[3], 0, kChunk));
  CHECK_FALSE(rig.cache->IsCached(others[2], 0, 1));
  rig.cache->Unpin(p);
  FileKey w = rig.Add("w", MakeBytes(kChunk, 60));
  rig.Read(w, 0, 10);
  CHECK(rig.cache->IsCached(p, 0, kChunk));  // unpinned just now: newest
  CHECK_FALSE(rig.cache->IsCached(others[3], 0, 1));
  CHECK(rig.cache->stats().bytes_cached <= 2 * kChunk);
}

TEST_CASE("pins may exceed the budget, Unpin brings it back", "[unit][cache]") {
  Rig rig(kChunk, kChunk);
  std::string bytes = MakeBytes(3 * kChunk, 61);
  FileKey big = rig.Add("big", bytes);
  REQUIRE(rig.cache->Pin(big).ok());
  REQUIRE(rig.cache->Pin(big).ok());  // pins nest
  CHECK(rig.Read(big, 0, bytes.size()) == bytes);
  CHECK(rig.cache->stats().bytes_cached == 3 * kChunk);
  rig.cache->Unpin(big);
  CHECK(rig.cache->stats().bytes_cached == 3 * kChunk);
  rig.cache->Unpin(big);
  CHECK(rig.cache->stats().bytes_cached <= kChunk);
  rig.cache->Unpin(big);  // unmatched: ignored
}

TEST_CASE("reopening evicts down to a smaller budget", "[unit][cache]") {
  Rig rig(kChunk, 10 * kChunk);
  FileKey old_file = rig.Add("old", MakeBytes(2 * kChunk, 62));
  FileKey new_file = rig.Add("new", MakeBytes(2 * kChunk, 63));
  rig.Read(old_file, 0, 2 * kChunk);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // mtimes
  rig.Read(new_file, 0, 2 * kChunk);
  rig.options.budget_bytes = 2 * kChunk;
  rig.Reopen();
  CHECK(rig.cache->stats().bytes_cached == 2 * kChunk);
  CHECK(rig.cache->IsCached(new_file, 0, 2 * kChunk));
  CHECK_FALSE(rig.cache->IsCached(old_file, 0, 1));
}

TEST_CASE("concurrent reads under eviction pressure return exact bytes",
          "[unit][cache]") {
  Rig rig(kChunk, 4 * kChunk);
  std::vector<FileKey> keys;
  std::vector<std::string> contents;
  for (int f = 0; f < 3; ++f) {
    contents.push_back(MakeBytes(10 * kChunk + 100 * f, 70 + f));
    keys.push_back(rig.Add("s" + std::to_string(f), contents.back()));
  }
  Tally tally;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back(ReadRandomly, rig.cache.get(), std::cref(keys),
                         std::cref(contents), t, 300, 2 * kChunk, &tally);
  }
  for (auto& t : threads) t.join();
  rig.cache->WaitIdle();  // reads return before their chunks settle
  CHECK(tally.bad == 0);
  CHECK(tally.failed == 0);
  CHECK(rig.cache->stats().bytes_cached <= 4 * kChunk);
  CHECK(rig.cache->stats().evictions > 0);
}

TEST_CASE("reads stay exact while files are invalidated, pinned, unpinned",
          "[unit][cache]") {
  Rig rig(kChunk, 6 * kChunk);
  std::vector<FileKey> keys;
  std::vector<std::string> contents;
  for (int f = 0; f < 4; ++f) {
    contents.push_back(MakeBytes(4 * kChunk + 7 * f, 80 + f));
    keys.push_back(rig.Add("c" + std::to_string(f), contents.back()));
  }
  Tally tally;
  std::atomic<bool> stop{false};
  std::thread churn(Churn, rig.cache.get(), std::cref(keys), std::cref(stop),
                    &tally);
  std::vector<std::thread> readers;
  for (unsigned t = 0; t < 3; ++t) {
    readers.emplace_back(ReadRandomly, rig.cache.get(), std::cref(keys),
                         std::cref(contents), t, 300, 3 * kChunk, &tally);
  }
  for (auto& t : readers) t.join();
  stop = true;
  churn.join();
  rig.cache->WaitIdle();
  CHECK(tally.bad == 0);
  CHECK(tally.failed == 0);
  CacheStats stats = rig.cache->stats();
  CHECK(stats.bytes_cached <= 6 * kChunk);
  CHECK(stats.corruptions == 0);
  // The index and the directory agree: two files per entry, plus the lock.
  CHECK(rig.Files().size() == 2 * static_cast<size_t>(stats.files) + 1);
}

}  // namespace
}  // namespace gdmount::cache::testing

namespace gdmount::cache::testing {
namespace {

// Descriptors this process holds open on files in `dir`.
int OpenFilesIn(const std::string& dir) {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (!ec && target.string().rfind(dir + "/", 0) == 0) ++n;
  }
  return n;
}

TEST_CASE("the cache holds at most max_files files, least recently used first",
          "[unit][cache]") {
  Rig rig;  // a byte budget far from reached
  rig.options.max_files = 3;
  rig.Reopen();
  std::vector<FileKey> k;
  for (int i = 0; i < 5; ++i)
    k.push_back(rig.Add("f" + std::to_string(i), MakeBytes(100, 70 + i)));
  rig.Read(k[0], 0, 100);
  rig.Read(k[1], 0, 100);
  rig.Read(k[2], 0, 100);
  rig.Read(k[0], 0, 100);  // f0 is now newer than f1
  rig.Read(k[3], 0, 100);
  CHECK(rig.cache->stats().files == 3);
  CHECK(rig.cache->IsCached(k[0], 0, 100));
  CHECK_FALSE(rig.cache->IsCached(k[1], 0, 1));
  CHECK(rig.cache->IsCached(k[2], 0, 100));
  CHECK(rig.cache->IsCached(k[3], 0, 100));
  CHECK(rig.Read(k[4], 0, 100) == MakeBytes(100, 74));
  CHECK(rig.cache->stats().files == 3);
  CHECK_FALSE(rig.cache->IsCached(k[2], 0, 1));  // the oldest went
  // What the cap is for: one descriptor per cached file, no more.
  CHECK(OpenFilesIn(rig.options.dir) <= 3 + 1);  // + the lock file
  CHECK(rig.Files().size() == 3 * 2 + 1);        // .data, .map; lock
}

TEST_CASE("reopening keeps only the newest max_files files", "[unit][cache]") {
  Rig rig;
  std::vector<FileKey> k;
  for (int i = 0; i < 4; ++i) {
    k.push_back(rig.Add("g" + std::to_string(i), MakeBytes(100, 80 + i)));
    rig.Read(k[i], 0, 100);
  }
  // Last used, oldest first: g1, g3, g0, g2 (as the maps' mtimes say).
  const int order[] = {1, 3, 0, 2};
  for (int rank = 0; rank < 4; ++rank) {
    const FileKey& key = k[order[rank]];
    const std::string map =
        rig.options.dir + "/" + EntryName(key.id, key.version) + ".map";
    struct timespec times[2] = {{1000 + rank, 0}, {1000 + rank, 0}};
    REQUIRE(utimensat(AT_FDCWD, map.c_str(), times, 0) == 0);
  }
  rig.options.max_files = 2;
  rig.Reopen();
  CHECK(rig.cache->stats().files == 2);
  CHECK(rig.cache->IsCached(k[0], 0, 100));
  CHECK(rig.cache->IsCached(k[2], 0, 100));
  CHECK_FALSE(rig.cache->IsCached(k[1], 0, 1));
  CHECK_FALSE(rig.cache->IsCached(k[3], 0, 1));
  CHECK(rig.Files().size() == 2 * 2 + 1);  // the others' files deleted
  CHECK(rig.Read(k[1], 0, 100) == MakeBytes(100, 81));
}

}  // namespace
}  // namespace gdmount::cache::testing
