// ContentCache: getting a chunk present (sharing concurrent fetches),
// releasing it, checking a complete file's md5, and persisting the map.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>

#include "cache/content_cache.h"
#include "gdmount/log.h"

namespace gdmount::cache {
namespace {

Status CorruptionError(std::string m) {
  return Status(StatusCode::kCorruption, std::move(m));
}

// Streams one chunk's bytes from Drive straight into the cache file at
// their own offsets, refusing anything past the chunk's end, and reports
// how much has arrived after every write.
class ChunkSink : public BodySink {
 public:
  ChunkSink(const CacheFile& file, int64_t offset, int64_t length,
            std::function<void(int64_t)> progress)
      : file_(file),
        offset_(offset),
        length_(length),
        progress_(std::move(progress)) {}

  Status Write(const char* data, size_t size) override {
    if (static_cast<int64_t>(size) > length_ - written_) {
      return CorruptionError("download delivered more bytes than requested");
    }
    Status s = file_.WriteAt(offset_ + written_, data, size);
    if (!s.ok()) return s;
    written_ += static_cast<int64_t>(size);
    if (progress_) progress_(written_);
    return Status::Ok();
  }
  int64_t written() const { return written_; }

 private:
  const CacheFile& file_;
  const int64_t offset_;
  const int64_t length_;
  std::function<void(int64_t)> progress_;
  int64_t written_ = 0;
};

// Copies a download into a caller's buffer (ReadDirect), refusing extra.
class BufferSink : public BodySink {
 public:
  BufferSink(char* buf, size_t size) : buf_(buf), size_(size) {}
  Status Write(const char* data, size_t n) override {
    if (n > size_ - written_)
      return CorruptionError("download delivered more bytes than requested");
    std::memcpy(buf_ + written_, data, n);
    written_ += n;
    return Status::Ok();
  }
  size_t written() const { return written_; }

 private:
  char* buf_;
  size_t size_;
  size_t written_ = 0;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Status ContentCache::EnsureChunk(const EntryPtr& e, int64_t index,
                                 bool count_stats, int64_t need) {
  std::unique_lock<std::mutex> l(mu_);
  ChunkSlot& slot = e->chunks[index];  // the vector never resizes
  // need <= 0: the whole chunk, and the fetch finished (it is present).
  const bool whole = need <= 0;
  if (whole || need > e->ChunkLength(index)) need = e->ChunkLength(index);
  bool missed = false;
  for (;;) {
    // Dropped as corrupt while this thread was on its way: don't refill.
    if (!e->discard_status.ok()) return e->discard_status;
    if (slot.state == ChunkState::kPresent) {
      ++slot.readers;
      if (slot.in_lru) lru_.splice(lru_.begin(), lru_, slot.lru_pos);
      if (count_stats && !missed) ++stats_.hits;
      return Status::Ok();
    }
    if (count_stats && !missed) ++stats_.misses;
    missed = true;
    if (slot.state == ChunkState::kAbsent) {
      Status fresh = CheckNotRetiredLocked(e->key);
      if (!fresh.ok()) return fresh;
    }
    // Absent: fetch it (ahead of queued read-ahead). Busy: share the fetch
    // (or wait out the eviction) in progress.
    std::shared_ptr<ChunkOp> op = slot.state == ChunkState::kAbsent
                                      ? StartFetchLocked(e, index, true)
                                      : slot.op;
    // Reserved before waiting: once the chunk is present it cannot be
    // evicted between the fetch finishing and this thread waking up.
    ++slot.readers;
    op->cv.wait(l, [&op, need, whole] {
      return op->done || (!whole && op->filled >= need);
    });
    // Our bytes are on disk (the rest may still be arriving), or the fetch
    // is over and the chunk present.
    if (!op->done || slot.state == ChunkState::kPresent) return Status::Ok();
    --slot.readers;
    if (!op->status.ok()) return op->status;
    // An eviction finished: fetch it again.
  }
}

std::shared_ptr<ChunkOp> ContentCache::StartFetchLocked(const EntryPtr& e,
                                                        int64_t index,
                                                        bool urgent) {
  ChunkSlot& slot = e->chunks[index];
  auto op = std::make_shared<ChunkOp>();
  slot.state = ChunkState::kBusy;
  slot.op = op;
  ++e->busy_chunks;
  ++stats_.fetches;
  ++fetch_tasks_;
  pool_->Push([this, e, index, op] { FetchAndMark(e, index, op); }, urgent);
  return op;
}

Status ContentCache::PrefetchAsync(const FileKey& key, int64_t offset,
                                   int64_t length) {
  if (offset < 0 || length < 0)
    return InvalidArgumentError("negative prefetch offset or length");
  if (key.id.empty() || offset >= key.size || length == 0) return Status::Ok();
  int64_t end = offset + std::min(length, key.size - offset);
  Result<EntryPtr> e = AcquireEntry(key);
  if (!e.ok()) return e.status();
  std::lock_guard<std::mutex> l(mu_);
  if (!(*e)->discard_status.ok()) return (*e)->discard_status;
  if (!CheckNotRetiredLocked(key).ok()) return Status::Ok();  // no read-ahead
  for (int64_t i = offset / options_.chunk_size;
       i <= (end - 1) / options_.chunk_size; ++i) {
    if ((*e)->chunks[i].state == ChunkState::kAbsent)
      StartFetchLocked(*e, i, /*urgent=*/false);
  }
  return Status::Ok();
}

Result<size_t> ContentCache::ReadDirect(const FileKey& key, int64_t offset,
                                        char* buf, size_t size) {
  if (offset < 0) return InvalidArgumentError("negative read offset");
  if (Status fresh = CheckNotRetired(key); !fresh.ok()) return fresh;
  if (offset >= key.size || size == 0) return size_t{0};
  size_t len = static_cast<size_t>(
      std::min<uint64_t>(size, static_cast<uint64_t>(key.size - offset)));
  // Present, or on its way (a seek back into read-ahead still in flight):
  // the cache serves it without a second download of the same bytes.
  if (IsCachedOrFetching(key, offset, static_cast<int64_t>(len)))
    return Read(key, offset, buf, len);
  BufferSink sink(buf, len);
  Result<int64_t> got =
      client_->Download(key.id, offset, static_cast<int64_t>(len), sink);
  if (!got.ok()) return got.status();
  if (sink.written() != len) {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.corruptions;
    return CorruptionError("download of bytes " + std::to_string(offset) + "+" +
                           std::to_string(len) + " of a " +
                           std::to_string(key.size) + "-byte file delivered " +
                           std::to_string(sink.written()) + " bytes");
  }
  std::lock_guard<std::mutex> l(mu_);
  ++stats_.direct_reads;
  stats_.fetched_bytes += static_cast<int64_t>(len);
  return len;
}

void ContentCache::FetchAndMark(const EntryPtr& e, int64_t index,
                                const std::shared_ptr<ChunkOp>& op) {
  Status s = FetchChunk(*e, index, op);
  const int64_t length = e->ChunkLength(index);
  bool hash = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    ChunkSlot& slot = e->chunks[index];
    --e->busy_chunks;
    slot.op.reset();
    if (s.ok()) {
      slot.state = ChunkState::kPresent;
      ++e->present_chunks;
      e->present_bytes += length;
      ++e->change_seq;
      e->verified = false;
      stats_.fetched_bytes += length;
      if (!e->dead) {
        bytes_cached_ += length;
        if (!PinnedLocked(*e)) AddToLruLocked(e.get(), index);
      }
      hash = ClaimHashLocked(e.get());
    } else {
      slot.state = ChunkState::kAbsent;
      if (s.code() == StatusCode::kCorruption) ++stats_.corruptions;
    }
    op->status = s;
    op->done = true;
    op->cv.notify_all();
  }
  if (!s.ok()) {
    GDMOUNT_LOG(kWarning) << "cache: fetching chunk " << index << " of "
                          << e->key.id << " failed: " << s.ToString();
  }
  if (hash) AdvanceHash(e);
  if (s.ok()) {
    // A failed map write drops the entry; readers still have their bytes.
    (void)PersistMap(e);
    EvictIfNeeded();
  }
  std::lock_guard<std::mutex> l(mu_);
  if (--fetch_tasks_ == 0) idle_cv_.notify_all();
}

void ContentCache::WaitIdle() const {
  std::unique_lock<std::mutex> l(mu_);
  idle_cv_.wait(l, [this] { return fetch_tasks_ == 0; });
}

bool ContentCache::ClaimHashLocked(CacheEntry* e) {
  if (e->key.md5.empty() || e->hashing || e->dead || e->verified ||
      e->hash_failed || !e->hashed_hex.empty() ||
      e->hashed_chunks >= e->num_chunks() ||
      e->chunks[e->hashed_chunks].state != ChunkState::kPresent)
    return false;
  if (e->hashed_chunks == 0) e->hasher = std::make_unique<util::Md5Hasher>();
  e->hashing = true;
  return true;
}

void ContentCache::AdvanceHash(const EntryPtr& e) {
  std::unique_lock<std::mutex> l(mu_);
  // This thread owns the hasher while it works; an eviction meanwhile
  // bumps hash_epoch, and the work is thrown away.
  std::unique_ptr<util::Md5Hasher> hasher = std::move(e->hasher);
  const uint64_t epoch = e->hash_epoch;
  std::vector<char> buf;
  while (hasher && e->hash_epoch == epoch && !e->dead &&
         e->hashed_chunks < e->num_chunks() &&
         e->chunks[e->hashed_chunks].state == ChunkState::kPresent) {
    const int64_t i = e->hashed_chunks;
    ++e->chunks[i].readers;  // not evicted while hashed
    l.unlock();
    buf.resize(static_cast<size_t>(e->ChunkLength(i)));
    Status s = e->file.ReadAt(e->ChunkOffset(i), buf.data(), buf.size());
    if (s.ok()) hasher->Update(buf.data(), buf.size());
    l.lock();
    --e->chunks[i].readers;
    if (!s.ok()) {
      hasher.reset();
      e->hash_failed = true;  // the full pass decides
    } else if (e->hash_epoch == epoch) {
      ++e->hashed_chunks;
    }
  }
  if (hasher && e->hash_epoch == epoch) {
    if (e->hashed_chunks == e->num_chunks()) {
      e->hashed_hex = hasher->FinishHex();
    } else {
      e->hasher = std::move(hasher);  // continues when the next one lands
    }
  }
  e->hashing = false;
  e->hashed_cv.notify_all();
}

Status ContentCache::FetchChunk(const CacheEntry& e, int64_t index,
                                const std::shared_ptr<ChunkOp>& op) {
  const int64_t offset = e.ChunkOffset(index);
  const int64_t length = e.ChunkLength(index);
  ChunkSink sink(e.file, offset, length, [this, &op](int64_t filled) {
    std::lock_guard<std::mutex> l(mu_);
    op->filled = filled;
    op->cv.notify_all();
  });
  Result<int64_t> got = client_->Download(e.key.id, offset, length, sink);
  if (!got.ok()) return got.status();
  if (sink.written() != length || *got != length) {
    return CorruptionError(
        "download of bytes " + std::to_string(offset) + "+" +
        std::to_string(length) + " of a " + std::to_string(e.key.size) +
        "-byte file delivered " + std::to_string(sink.written()) + " bytes");
  }
  return Status::Ok();
}

void ContentCache::ReleaseChunks(const EntryPtr& e, int64_t first,
                                 int64_t last) {
  if (first > last) return;
  bool over_budget;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int64_t i = first; i <= last; ++i) {
      ChunkSlot& slot = e->chunks[i];
      --slot.readers;
      // Recency is the reader's order, whatever order downloads finished.
      if (slot.in_lru) lru_.splice(lru_.begin(), lru_, slot.lru_pos);
    }
    over_budget = OverLimitsLocked();
  }
  if (over_budget) EvictIfNeeded();
}

Status ContentCache::VerifyIfComplete(const EntryPtr& e) {
  std::shared_ptr<ChunkOp> op;
  {
    std::unique_lock<std::mutex> l(mu_);
    if (!e->discard_status.ok()) return e->discard_status;
    if (e->key.md5.empty() || e->verified || !e->complete()) {
      return Status::Ok();
    }
    // The running hash is finishing the last chunks: its digest is the
    // whole file's, with no second pass over the bytes.
    e->hashed_cv.wait(l, [&e] { return !e->hashing; });
    // The lock was let go: look again.
    if (!e->discard_status.ok()) return e->discard_status;
    if (e->verified || !e->complete()) return Status::Ok();
    if (!e->hashed_hex.empty()) {
      std::string got = std::move(e->hashed_hex);
      e->hashed_hex.clear();
      e->hashed_chunks = 0;
      if (got == Lower(e->key.md5)) {
        e->verified = true;
        ++e->change_seq;
        l.unlock();
        (void)PersistMap(e);
        return Status::Ok();
      }
      Status bad =
          CorruptionError("cached content of " + e->key.id + " has md5 " + got +
                          ", Drive says " + e->key.md5);
      ++stats_.corruptions;
      (void)DropEntryLocked(e, bad);
      l.unlock();
      GDMOUNT_LOG(kError) << "cache: " << bad.ToString();
      return bad;
    }
    if (e->verify_op) {  // another thread is hashing: share its verdict
      op = e->verify_op;
      op->cv.wait(l, [&op] { return op->done; });
      return op->status;
    }
    op = std::make_shared<ChunkOp>();
    e->verify_op = op;
    // Keep every chunk on disk while it is hashed.
    for (ChunkSlot& slot : e->chunks) ++slot.readers;
  }
  return RunVerify(e, op);
}

Status ContentCache::RunVerify(const EntryPtr& e,
                               const std::shared_ptr<ChunkOp>& op) {
  Result<std::string> md5 = e->file.Md5Hex(e->key.size);
  Status s = md5.ok() ? Status::Ok() : md5.status();
  if (s.ok() && *md5 != Lower(e->key.md5)) {
    s = CorruptionError("cached content of " + e->key.id + " has md5 " + *md5 +
                        ", Drive says " + e->key.md5);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    for (ChunkSlot& slot : e->chunks) --slot.readers;
    e->verify_op.reset();
    if (s.ok()) {
      e->verified = true;
      ++e->change_seq;
    } else if (s.code() == StatusCode::kCorruption) {
      ++stats_.corruptions;
      (void)DropEntryLocked(e, s);  // the next Read starts from scratch
    }
    op->status = s;
    op->done = true;
    op->cv.notify_all();
  }
  if (s.ok()) {
    (void)PersistMap(e);
  } else {
    GDMOUNT_LOG(kError) << "cache: " << s.ToString();
  }
  EvictIfNeeded();
  return s;
}

Status ContentCache::PersistMap(const EntryPtr& e) {
  ChunkMapRecord record;
  uint64_t seq;
  std::string tmp;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (e->dead || e->persisted_seq >= e->change_seq) return Status::Ok();
    record = SnapshotLocked(*e);
    seq = e->change_seq;
    tmp = PathOf(e->name, ".map.tmp") + std::to_string(++tmp_seq_);
  }
  Status s = WriteNewFile(tmp, EncodeChunkMap(record));
  {
    std::lock_guard<std::mutex> l(mu_);
    if (s.ok()) {
      // Only a newer snapshot may replace the map: an older one could
      // claim a chunk that has since been evicted.
      if (e->dead || seq <= e->persisted_seq) return RemoveFile(tmp);
      s = RenameFile(tmp, PathOf(e->name, ".map"));
      if (s.ok()) {
        e->persisted_seq = seq;
        return Status::Ok();
      }
      (void)RemoveFile(tmp);
    }
    // The map on disk may now be stale; forget the whole file instead.
    (void)DropEntryLocked(e, Status::Ok());
  }
  GDMOUNT_LOG(kWarning) << "cache: dropped " << e->key.id
                        << " after a map write failed: " << s.ToString();
  return s;
}

ChunkMapRecord ContentCache::SnapshotLocked(const CacheEntry& e) const {
  ChunkMapRecord r;
  r.id = e.key.id;
  r.version = e.key.version;
  r.md5 = e.key.md5;
  r.size = e.key.size;
  r.chunk_size = e.chunk_size;
  r.verified = e.verified;
  r.present.resize(e.chunks.size());
  for (size_t i = 0; i < e.chunks.size(); ++i) {
    r.present[i] = e.chunks[i].state == ChunkState::kPresent;
  }
  return r;
}

}  // namespace gdmount::cache
