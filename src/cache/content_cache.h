// ContentCache: the read path's on-disk, read-through copy of Drive content.
//
// Data flow. Read(key, offset, size) clamps the range to key.size and walks
// its fixed-size chunks (options.chunk_size; a file's last chunk is short).
// A present chunk is served by pread from the file's cache file. A missing
// chunk is fetched with one ranged DriveClient::Download whose bytes are
// pwritten straight into the cache file at their own offset (never buffered
// whole in memory), marked present, recorded in the map, then pread.
//
// On disk, per (file id, content version): "<name>.data", a sparse file of
// key.size bytes, and "<name>.map", its present-chunk map
// (chunk_map_file.h), where name = hex SHA-256 of the id and version, so no
// Drive-supplied string ever becomes a path. The directory is 0700, files
// 0600; a flock on "<dir>/lock" keeps a second process out of the dir.
//
// Invariants.
// - A chunk is present only once all its bytes are written. The map on disk
//   is written after a chunk becomes present and before an evicted chunk's
//   hole is punched, and an older snapshot never overwrites a newer one, so
//   the map never claims bytes that are not in the file. (No fsync: after a
//   power loss, data the kernel had not written back may read as zeros; the
//   md5 check on completion catches that for files that have an md5.)
// - Versions: the version is part of the name, so one version's chunks are
//   never served for another. The first Read/Prefetch/Pin of a new version
//   drops the other versions of that id; a pinned one is kept for its open
//   handles and dropped at its last Unpin.
// - Integrity: when a file's last chunk arrives (or a Read finds a complete
//   file not yet checked, e.g. after a restart) and key.md5 is set, the
//   whole file's MD5 is computed once, before any read of the complete file
//   is served. A mismatch drops the file and that Read (and reads waiting on
//   the check) fail with Corruption; the next Read refetches. Chunks of a
//   partly cached file are served unchecked: Drive offers only a whole-file
//   checksum. So is a read served before its chunk finished arriving (only
//   reads that stop short of a chunk's end return early; the read that
//   completes a file is checked). The md5 runs as chunks land in order, so
//   a file read once front to back needs no second pass. A download shorter
//   or longer than its chunk is Corruption.
// - Eviction is LRU at chunk granularity: a huge file read in part keeps
//   just the parts read, and the default budget is only ~1,300 chunks. It
//   keeps present bytes <= budget_bytes, except while pinned chunks and
//   chunks being read alone exceed it. Pinned files' chunks are not in the
//   LRU list; chunks being read (pread or md5 pass) are skipped. An evicted
//   chunk's blocks are freed with fallocate(PUNCH_HOLE) (if the file system
//   refuses, the whole file is dropped); a file left with no chunk is
//   deleted. At most options.max_files files are cached: past it, least
//   recently used chunks go until a file has none left. After a restart,
//   LRU order between files follows map mtimes, and only the newest
//   max_files files are reloaded.
//
// Concurrency. One mutex (mu_) guards all bookkeeping; it is nearly a leaf
// lock: only the download pool's queue lock is taken under it (to queue a
// fetch), never the log or anything else. It is never held
// across a Drive call, pread/pwrite/fallocate, an md5 pass or a map write;
// it is held across short metadata syscalls (open+ftruncate of a new cache
// file, unlink, rename), which keep name reuse race-free. Concurrent misses
// of one chunk share one fetch: the first thread marks the chunk busy and
// fetches; the others wait on that fetch's condition variable and get its
// outcome (an error included). Misses of different chunks fetch in parallel.
//
// Downloads run on one pool of options.fetch_threads threads: that is the
// global limit on transfers in flight. A chunk being fetched is filled in
// order, and a Read waits only until the bytes it needs are on disk (not
// for the whole chunk), so the first bytes of a file are served after one
// request's latency. PrefetchAsync queues chunks ahead of a sequential
// reader (vfs/read_ahead.h decides which); Read's own misses jump the
// queue. Bytes go from the socket to the cache file: resident memory does
// not grow with file sizes, open files or readers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cache/cache_entry.h"
#include "cache/chunk_map_file.h"
#include "cache/file_key.h"
#include "gdmount/drive_client.h"
#include "gdmount/result.h"
#include "gdmount/status.h"
#include "util/task_pool.h"

namespace gdmount::cache {

struct ContentCacheOptions {
  std::string dir;  // created (with parents) if missing; made 0700
  // Fixed per cache dir: entries cached with another chunk size are
  // discarded at Open. 8 MiB: few requests per large file, small waste.
  int64_t chunk_size = 8 << 20;
  int64_t budget_bytes = 10LL << 30;  // present chunk bytes, all files
  // Cached files at most (file ids and versions, small or large): each
  // keeps its cache file open, so this bounds open descriptors and memory
  // for a dataset of many small files, which the byte budget alone would
  // let run into the hundreds of thousands. The least recently used go
  // first, as for the budget; open files' entries stay.
  int64_t max_files = 32768;
  // Downloads in flight at once, for all files and readers together (the
  // pool that runs them has this many threads).
  int fetch_threads = 8;
};

struct CacheStats {
  int64_t bytes_cached = 0;   // present chunk bytes (what the budget bounds)
  int64_t files = 0;          // cached (id, version) entries
  int64_t hits = 0;           // chunks Read found present
  int64_t misses = 0;         // chunks Read fetched or waited for
  int64_t fetches = 0;        // Download calls
  int64_t fetched_bytes = 0;  // bytes those calls delivered
  int64_t evictions = 0;      // chunks evicted
  int64_t corruptions = 0;    // md5 mismatches, short or long downloads
  int64_t direct_reads = 0;   // ReadDirect downloads (random access)
};

// Thread-safe: every method may be called from many threads at once.
class ContentCache {
 public:
  // Opens (creating if needed) the cache in options.dir and reloads what a
  // previous run cached; unreadable or inconsistent leftovers are deleted.
  // `client` is not owned and must outlive the cache. InvalidArgument for
  // bad options; Unavailable if another process holds the dir; Io.
  static Result<std::unique_ptr<ContentCache>> Open(
      const ContentCacheOptions& options, drive::DriveClient* client);
  // REQUIRES: no call in progress.
  ~ContentCache();
  ContentCache(const ContentCache&) = delete;
  ContentCache& operator=(const ContentCache&) = delete;

  // Copies bytes [offset, offset+size) of `key`, clamped to key.size, into
  // `buf`, fetching missing chunks first. Returns the byte count: 0 at or
  // after the end of the file. Errors: InvalidArgument (negative offset,
  // empty id or negative key.size), Corruption (md5 mismatch, download of the
  // wrong length), Io (local disk), or the DriveClient's Status. Never returns
  // bytes it could not vouch for as described in the file comment.
  Result<size_t> Read(const FileKey& key, int64_t offset, char* buf,
                      size_t size);

  // Fetches the missing chunks overlapping [offset, offset+length) (clamped
  // to the file) and returns when they are present or the first fails.
  // Same errors as Read. Synchronous; a caller wanting asynchrony runs it
  // on its own threads.
  Status Prefetch(const FileKey& key, int64_t offset, int64_t length);

  // Starts fetching the missing chunks overlapping [offset, offset+length)
  // on the download pool and returns at once (read-ahead). A later Read of
  // those bytes waits only for what has not arrived yet.
  Status PrefetchAsync(const FileKey& key, int64_t offset, int64_t length);

  // Read for random access: bytes of chunks already present come from the
  // cache; otherwise exactly the requested range is downloaded into `buf`
  // (one right-sized ranged GET, not a whole chunk) and not cached.
  Result<size_t> ReadDirect(const FileKey& key, int64_t offset, char* buf,
                            size_t size);

  // True if a Read of this range would not call Drive (an empty or
  // past-the-end range is always cached).
  bool IsCached(const FileKey& key, int64_t offset, int64_t length) const;
  // The same, counting chunks whose download is already in flight.
  bool IsCachedOrFetching(const FileKey& key, int64_t offset,
                          int64_t length) const;

  // Marks `key` open: its chunks are never evicted until the matching
  // Unpin. Pins nest. Pinning a version drops other unpinned versions of
  // the id. InvalidArgument for an empty id or negative size.
  Status Pin(const FileKey& key);
  // Undoes one Pin (an unmatched Unpin is ignored).
  void Unpin(const FileKey& key);

  // Drops every cached version of file `id` (its remote content changed or
  // it was deleted). Reads in progress finish on the bytes they had; later
  // reads refetch. Pins are kept. Io if a cache file could not be removed.
  Status Invalidate(const std::string& id);

  // The change feed saw file `id` change on Drive (or go away): its
  // content version `version` (as in FileKey::version) is no longer
  // Drive's. That version's bytes are dropped (when its last handle
  // closes, if open), and reads of it fail with PreconditionFailed
  // (ESTALE): Drive would send the new bytes, and old bytes, even cached
  // ones, would enter the kernel's page cache that readers of the new
  // version share. Pin() of a version (an open, with the version the
  // store has now) makes it readable again: the bytes may come back. A
  // version no handle has open is only dropped: unpinned reads (copying a
  // file in for writing) rely on the md5 check instead.
  void Retire(const std::string& id, const std::string& version);

  // Returns once no download is queued or running (tests, shutdown).
  void WaitIdle() const;

  CacheStats stats() const;

 private:
  using EntryPtr = std::shared_ptr<CacheEntry>;
  struct Victim;

  ContentCache(ContentCacheOptions options, drive::DriveClient* client,
               int lock_fd);

  // content_cache.cc: the index.
  Result<EntryPtr> AcquireEntry(const FileKey& key);
  EntryPtr FindLocked(const FileKey& key) const;
  Status DropEntryLocked(const EntryPtr& e, Status why);
  void DropOtherVersionsLocked(const std::string& id, const std::string& keep);
  // PreconditionFailed if `key` is a version Retire() retired.
  Status CheckNotRetiredLocked(const FileKey& key) const;
  // The same for a caller without mu_ (takes it only once anything was
  // ever retired).
  Status CheckNotRetired(const FileKey& key) const;
  bool PinnedLocked(const CacheEntry& e) const;
  void AddToLruLocked(CacheEntry* e, int64_t index);
  void RemoveFromLruLocked(CacheEntry* e, int64_t index);
  std::string PathOf(const std::string& name, const char* suffix) const;
  Status ReadRange(const EntryPtr& e, int64_t offset, char* buf, size_t len);
  // IsCached / IsCachedOrFetching.
  bool RangeState(const FileKey& key, int64_t offset, int64_t length,
                  bool count_fetching) const;

  // content_cache_fetch.cc: chunks in and out.
  // Returns once bytes [0, need) of the chunk are on disk (need <= 0: the
  // chunk is present, its fetch finished), holding a reader reference;
  // starts its fetch if absent.
  Status EnsureChunk(const EntryPtr& e, int64_t index, bool count_stats,
                     int64_t need = 0);
  // Marks an absent chunk busy and queues its fetch. REQUIRES mu_ held.
  std::shared_ptr<ChunkOp> StartFetchLocked(const EntryPtr& e, int64_t index,
                                            bool urgent);
  void FetchAndMark(const EntryPtr& e, int64_t index,
                    const std::shared_ptr<ChunkOp>& op);
  Status FetchChunk(const CacheEntry& e, int64_t index,
                    const std::shared_ptr<ChunkOp>& op);
  void ReleaseChunks(const EntryPtr& e, int64_t first, int64_t last);
  // Claims the running hash if its next chunk is present. REQUIRES mu_.
  bool ClaimHashLocked(CacheEntry* e);
  // Feeds present chunks, in order, to the running hash (after a claim).
  void AdvanceHash(const EntryPtr& e);
  Status VerifyIfComplete(const EntryPtr& e);
  Status RunVerify(const EntryPtr& e, const std::shared_ptr<ChunkOp>& op);
  Status PersistMap(const EntryPtr& e);
  ChunkMapRecord SnapshotLocked(const CacheEntry& e) const;

  // content_cache_evict.cc: the budget and max_files.
  bool OverLimitsLocked() const;
  void EvictIfNeeded();
  std::vector<Victim> SelectVictimsLocked();
  void FinishEvictionLocked(const std::vector<Victim>& victims,
                            const std::vector<EntryPtr>& failed);

  // content_cache_load.cc: what a previous run left.
  Status LoadExisting();
  Status LoadEntry(const std::string& name, int64_t* mtime, EntryPtr* out);

  const ContentCacheOptions options_;
  drive::DriveClient* const client_;
  const int lock_fd_;

  mutable std::mutex mu_;  // leaf lock; guards everything below
  std::unordered_map<std::string, EntryPtr> entries_;  // by name
  std::unordered_map<std::string, std::unordered_set<std::string>> names_by_id_;
  // Pins by entry name, independent of entry lifetime (an entry dropped
  // and re-created while open stays pinned).
  std::unordered_map<std::string, int> pins_;
  // Retire(): versions replaced on Drive while open, by id; a key with one
  // of them may not be read. Pin() takes its version out again, and so
  // does its last Unpin(), so this holds no more than the pins do.
  std::unordered_map<std::string, std::unordered_set<std::string>> retired_;
  // Set by the first Retire(): until then reads skip the retired check
  // (and its lock) on their hot path.
  std::atomic<bool> any_retired_{false};
  LruList lru_;  // evictable chunks; front = most recently used
  int64_t bytes_cached_ = 0;
  // Files whose last chunk an eviction in progress takes (CacheEntry::
  // emptying): as good as gone for max_files, so that two evictions at
  // once do not both make room for the same newcomer.
  int64_t files_emptying_ = 0;
  uint64_t tmp_seq_ = 0;                     // unique map tmp-file names
  int64_t fetch_tasks_ = 0;                  // queued or running downloads
  mutable std::condition_variable idle_cv_;  // fetch_tasks_ reached 0
  CacheStats stats_;
  // Runs every chunk download. Last member: destroyed (joined) first,
  // while everything its tasks touch still exists.
  std::unique_ptr<util::TaskPool> pool_;
};

}  // namespace gdmount::cache
