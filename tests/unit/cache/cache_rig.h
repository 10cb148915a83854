// Shared fixture for ContentCache tests: a temp cache dir, a FakeDrive and
// a cache opened on them with small chunks, plus byte-making helpers.
// Not thread-safe (the cache itself is).
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cache/content_cache.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/cache/fake_drive.h"
#include "util/encoding.h"

namespace gdmount::cache::testing {

// Small chunks keep tests fast while still spanning many chunks.
constexpr int64_t kChunk = 4096;

// Deterministic, position-dependent bytes: a misplaced chunk shows.
inline std::string MakeBytes(size_t n, unsigned seed = 1) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

inline std::string Md5Hex(const std::string& bytes) {
  return util::HexEncode(util::Md5(bytes));
}

struct Rig {
  explicit Rig(int64_t chunk = kChunk, int64_t budget = 1LL << 30) {
    options.dir = dir.path() + "/cache";
    options.chunk_size = chunk;
    options.budget_bytes = budget;
    Reopen();
  }

  void Reopen() {
    cache.reset();
    auto opened = ContentCache::Open(options, &drive);
    REQUIRE(opened.ok());
    cache = std::move(opened).value();
  }

  // Serves `bytes` as file `id` and returns its key (version = md5).
  FileKey Add(const std::string& id, const std::string& bytes) {
    drive.Put(id, bytes);
    std::string md5 = Md5Hex(bytes);
    return FileKey{id, md5, static_cast<int64_t>(bytes.size()), md5};
  }

  // Read() that must succeed; returns the bytes it produced, once the
  // downloads it started have finished (a Read returns as soon as its own
  // bytes are on disk; the tests then look at the settled state).
  std::string Read(const FileKey& key, int64_t offset, size_t n) {
    std::string buf(n, '\0');
    Result<size_t> got = cache->Read(key, offset, buf.data(), n);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    buf.resize(*got);
    cache->WaitIdle();
    return buf;
  }

  // Regular files in the cache dir (names only).
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(options.dir)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  gdmount::testing::TempDir dir{"gdmount-cache"};
  FakeDrive drive;
  ContentCacheOptions options;
  std::unique_ptr<ContentCache> cache;
};

}  // namespace gdmount::cache::testing
