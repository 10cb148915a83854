// ContentCache: getting a chunk present (sharing concurrent fetches),
// releasing it, checking a complete file's md5, and persisting the map.
#include <algorithm>
#include <cctype>

#include "cache/content_cache.h"
#include "gdmount/log.h"

namespace gdmount::cache {
namespace {

Status CorruptionError(std::string m) {
  return Status(StatusCode::kCorruption, std::move(m));
}

// Streams one chunk's bytes from Drive straight into the cache file at
// their own offsets, refusing anything past the chunk's end.
class ChunkSink : public BodySink {
 public:
  ChunkSink(const CacheFile& file, int64_t offset, int64_t length)
      : file_(file), offset_(offset), length_(length) {}

  Status Write(const char* data, size_t size) override {
    if (static_cast<int64_t>(size) > length_ - written_) {
      return CorruptionError("download delivered more bytes than requested");
    }
    Status s = file_.WriteAt(offset_ + written_, data, size);
    if (!s.ok()) return s;
    written_ += static_cast<int64_t>(size);
    return Status::Ok();
  }
  int64_t written() const { return written_; }

 private:
  const CacheFile& file_;
  const int64_t offset_;
  const int64_t length_;
  int64_t written_ = 0;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Status ContentCache::EnsureChunk(const EntryPtr& e, int64_t index,
                                 bool count_stats) {
  std::unique_lock<std::mutex> l(mu_);
  ChunkSlot& slot = e->chunks[index];  // the vector never resizes
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
    if (slot.state == ChunkState::kAbsent) break;
    // Busy: share the fetch (or wait out the eviction) in progress.
    std::shared_ptr<ChunkOp> op = slot.op;
    op->cv.wait(l, [&op] { return op->done; });
    if (!op->status.ok()) return op->status;
  }
  auto op = std::make_shared<ChunkOp>();
  slot.state = ChunkState::kBusy;
  slot.op = op;
  ++e->busy_chunks;
  ++stats_.fetches;
  l.unlock();
  return FetchAndMark(e, index, op);
}

Status ContentCache::FetchAndMark(const EntryPtr& e, int64_t index,
                                  const std::shared_ptr<ChunkOp>& op) {
  Status s = FetchChunk(*e, index);
  const int64_t length = e->ChunkLength(index);
  {
    std::lock_guard<std::mutex> l(mu_);
    ChunkSlot& slot = e->chunks[index];
    --e->busy_chunks;
    slot.op.reset();
    if (s.ok()) {
      slot.state = ChunkState::kPresent;
      ++slot.readers;  // the caller's reference
      ++e->present_chunks;
      e->present_bytes += length;
      ++e->change_seq;
      e->verified = false;
      stats_.fetched_bytes += length;
      if (!e->dead) {
        bytes_cached_ += length;
        if (!PinnedLocked(*e)) AddToLruLocked(e.get(), index);
      }
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
    return s;
  }
  // A failed map write drops the entry; this read still has its bytes.
  (void)PersistMap(e);
  EvictIfNeeded();
  return Status::Ok();
}

Status ContentCache::FetchChunk(const CacheEntry& e, int64_t index) {
  const int64_t offset = e.ChunkOffset(index);
  const int64_t length = e.ChunkLength(index);
  ChunkSink sink(e.file, offset, length);
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
    for (int64_t i = first; i <= last; ++i) --e->chunks[i].readers;
    over_budget = bytes_cached_ > options_.budget_bytes;
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
