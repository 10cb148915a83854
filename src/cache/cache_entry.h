// Internal to src/cache: the in-memory state of one cached (file id,
// content version) and of its chunks, and the LRU list of evictable chunks.
// ContentCache owns all of it; every mutable field is GUARDED_BY the
// ContentCache's mu_ (the CacheFile itself is immutable and positional, so
// I/O on it needs no lock). Not thread-safe on its own.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache_file.h"
#include "cache/chunk_map_file.h"
#include "cache/file_key.h"
#include "gdmount/status.h"
#include "util/encoding.h"

namespace gdmount::cache {

// File stem of a cache entry: hex SHA-256 of the length-prefixed id and
// the version. Never a Drive-supplied string as a path.
std::string EntryName(const std::string& id, const std::string& version);

struct CacheEntry;

// One fetch (absent -> present) or one eviction (present -> absent) of one
// chunk, or one md5 pass over a file. Threads that need the chunk while it
// is busy wait on `cv` (with mu_) until `done`, then read `status`.
struct ChunkOp {
  bool done = false;
  Status status;
  // Fetches only: bytes of the chunk already on disk, counted from its
  // start (a download arrives in order). A reader whose range is covered
  // reads it before the whole chunk has arrived; cv is notified as it grows.
  int64_t filled = 0;
  std::condition_variable cv;
};

// An evictable chunk: LRU list element. Front = most recently used.
struct ChunkRef {
  CacheEntry* entry;
  int64_t index;
};
using LruList = std::list<ChunkRef>;

enum class ChunkState : uint8_t {
  kAbsent,   // not on disk (a hole)
  kPresent,  // every byte on disk; served by pread
  kBusy,     // being fetched or evicted: wait on `op`
};

struct ChunkSlot {
  ChunkState state = ChunkState::kAbsent;
  // Threads about to pread this chunk or hashing it: never evicted while
  // > 0, so a hole is never punched under a reader.
  int32_t readers = 0;
  bool in_lru = false;  // present, file not pinned, entry alive
  LruList::iterator lru_pos;
  std::shared_ptr<ChunkOp> op;  // set while kBusy
};

struct CacheEntry : std::enable_shared_from_this<CacheEntry> {
  CacheEntry(FileKey k, std::string n, int64_t chunk, CacheFile f)
      : key(std::move(k)),
        name(std::move(n)),
        chunk_size(chunk),
        file(std::move(f)),
        chunks(static_cast<size_t>(ChunkCount(key.size, chunk_size))) {}

  int64_t num_chunks() const { return static_cast<int64_t>(chunks.size()); }
  int64_t ChunkOffset(int64_t i) const { return i * chunk_size; }
  int64_t ChunkLength(int64_t i) const {
    return std::min(chunk_size, key.size - ChunkOffset(i));
  }
  bool complete() const { return present_chunks == num_chunks(); }

  const FileKey key;
  const std::string name;  // file stem: hex SHA-256 of id and version
  const int64_t chunk_size;
  const CacheFile file;

  // All below GUARDED_BY(ContentCache::mu_).
  std::vector<ChunkSlot> chunks;
  int64_t present_chunks = 0;
  int64_t present_bytes = 0;
  int64_t busy_chunks = 0;
  // An eviction in progress takes its last present chunk: counted in
  // ContentCache::files_emptying_ until that eviction finishes.
  bool emptying = false;
  bool verified = false;  // whole-file md5 matched since last completion
  std::shared_ptr<ChunkOp> verify_op;  // set while an md5 pass runs
  // Running md5 (files with key.md5): chunks [0, hashed_chunks) went
  // through `hasher` in order as they arrived, so a file downloaded once
  // needs no separate pass over its bytes at the end. One thread hashes at
  // a time (`hashing`); hashed_hex is the digest once every chunk went in.
  // Any eviction or error abandons it (the full pass remains).
  std::unique_ptr<util::Md5Hasher> hasher;
  int64_t hashed_chunks = 0;
  bool hashing = false;
  bool hash_failed = false;  // a read for it failed: only the full pass
  uint64_t hash_epoch = 0;   // bumped by evictions: running hash is void
  std::string hashed_hex;
  std::condition_variable hashed_cv;  // notified when `hashing` ends
  // Dropped from the index (invalidated, superseded, corrupt, emptied):
  // no longer counted, listed or persisted; in-flight users finish on it.
  bool dead = false;
  Status discard_status;    // why it was dropped, when that was an error
  bool superseded = false;  // a newer version exists; drop at last Unpin
  // Map persistence: change_seq counts changes to the present set;
  // a map snapshot is written only if newer than persisted_seq.
  uint64_t change_seq = 0;
  uint64_t persisted_seq = 0;
};

}  // namespace gdmount::cache
