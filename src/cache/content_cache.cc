// ContentCache: public operations and the (id, version) -> entry index.
// Chunk fetching and verification live in content_cache_fetch.cc, the
// budget in content_cache_evict.cc, restart in content_cache_load.cc.
#include "cache/content_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "gdmount/log.h"
#include "util/encoding.h"

namespace gdmount::cache {
namespace {

Status ValidateKey(const FileKey& key) {
  if (key.id.empty()) return InvalidArgumentError("empty file id");
  if (key.size < 0) return InvalidArgumentError("negative file size");
  return Status::Ok();
}

bool SameContent(const FileKey& a, const FileKey& b) {
  return a.size == b.size && a.md5 == b.md5;
}

}  // namespace

std::string EntryName(const std::string& id, const std::string& version) {
  // Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
  return util::HexEncode(
      util::Sha256(std::to_string(id.size()) + ":" + id + version));
}

Result<std::unique_ptr<ContentCache>> ContentCache::Open(
    const ContentCacheOptions& options, drive::DriveClient* client) {
  if (options.dir.empty() || options.chunk_size <= 0 ||
      options.budget_bytes < 0 || client == nullptr) {
    return InvalidArgumentError(
        "content cache needs a dir, a client, chunk_size > 0 and "
        "budget_bytes >= 0");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return IoError("create cache dir: " + ec.message());
  if (chmod(options.dir.c_str(), 0700) != 0) {
    return ErrnoError("chmod cache dir", errno);
  }
  std::string lock_path = options.dir + "/lock";
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("open cache lock", errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return Status(StatusCode::kUnavailable,
                    "cache dir is in use by another gdmount: " + options.dir);
    }
    return ErrnoError("lock cache dir", err);
  }
  std::unique_ptr<ContentCache> cache(new ContentCache(options, client, fd));
  Status s = cache->LoadExisting();
  if (!s.ok()) return s;
  return cache;
}

ContentCache::ContentCache(ContentCacheOptions options,
                           drive::DriveClient* client, int lock_fd)
    : options_(std::move(options)),
      client_(client),
      lock_fd_(lock_fd),
      pool_(std::make_unique<util::TaskPool>(
          static_cast<size_t>(std::max(1, options_.fetch_threads)))) {}

ContentCache::~ContentCache() {
  pool_.reset();  // no download runs past this point
  // Entries close their files as they go; the flock ends with the fd.
  close(lock_fd_);
}

Result<size_t> ContentCache::Read(const FileKey& key, int64_t offset, char* buf,
                                  size_t size) {
  Status s = ValidateKey(key);
  if (!s.ok()) return s;
  if (offset < 0) return InvalidArgumentError("negative read offset");
  // Even cached bytes of a replaced version are refused: the kernel's page
  // cache is shared by every open of the file, so old bytes served here
  // could reach a reader of the new version (and a short read at the old
  // end would shrink the kernel's idea of the size).
  if (Status fresh = CheckNotRetired(key); !fresh.ok()) return fresh;
  if (offset >= key.size || size == 0) return size_t{0};
  size_t len = static_cast<size_t>(
      std::min<uint64_t>(size, static_cast<uint64_t>(key.size - offset)));
  Result<EntryPtr> e = AcquireEntry(key);
  if (!e.ok()) return e.status();
  s = ReadRange(*e, offset, buf, len);
  if (!s.ok()) return s;
  return len;
}

Status ContentCache::ReadRange(const EntryPtr& e, int64_t offset, char* buf,
                               size_t len) {
  const int64_t first = offset / e->chunk_size;
  const int64_t last = (offset + static_cast<int64_t>(len) - 1) / e->chunk_size;
  // Chunks [first, held) carry a reader reference: they cannot be evicted
  // (hole-punched) between being ensured and being pread.
  int64_t held = first;
  Status s;
  const int64_t end = offset + static_cast<int64_t>(len);
  while (s.ok() && held <= last) {
    // Only the bytes this read needs must have arrived; a read to the end
    // of a chunk waits for the chunk (so the read that completes a file
    // sees it verified).
    int64_t need = std::min(end, e->ChunkOffset(held) + e->ChunkLength(held)) -
                   e->ChunkOffset(held);
    if (need == e->ChunkLength(held)) need = 0;
    s = EnsureChunk(e, held, /*count_stats=*/true, need);
    if (s.ok()) ++held;
  }
  if (s.ok()) s = VerifyIfComplete(e);
  if (s.ok()) s = e->file.ReadAt(offset, buf, len);
  ReleaseChunks(e, first, held - 1);
  return s;
}

Status ContentCache::Prefetch(const FileKey& key, int64_t offset,
                              int64_t length) {
  Status s = ValidateKey(key);
  if (!s.ok()) return s;
  if (offset < 0 || length < 0) {
    return InvalidArgumentError("negative prefetch offset or length");
  }
  if (offset >= key.size || length == 0) return Status::Ok();
  int64_t end = offset + std::min(length, key.size - offset);
  Result<EntryPtr> e = AcquireEntry(key);
  if (!e.ok()) return e.status();
  for (int64_t i = offset / options_.chunk_size;
       i <= (end - 1) / options_.chunk_size; ++i) {
    s = EnsureChunk(*e, i, /*count_stats=*/false);
    if (!s.ok()) return s;
    ReleaseChunks(*e, i, i);
  }
  return VerifyIfComplete(*e);
}

bool ContentCache::IsCached(const FileKey& key, int64_t offset,
                            int64_t length) const {
  return RangeState(key, offset, length, /*count_fetching=*/false);
}

bool ContentCache::IsCachedOrFetching(const FileKey& key, int64_t offset,
                                      int64_t length) const {
  return RangeState(key, offset, length, /*count_fetching=*/true);
}

bool ContentCache::RangeState(const FileKey& key, int64_t offset,
                              int64_t length, bool count_fetching) const {
  if (!ValidateKey(key).ok() || offset < 0 || length < 0) return false;
  if (offset >= key.size || length == 0) return true;
  int64_t end = offset + std::min(length, key.size - offset);
  std::lock_guard<std::mutex> l(mu_);
  EntryPtr e = FindLocked(key);
  if (!e) return false;
  for (int64_t i = offset / e->chunk_size; i <= (end - 1) / e->chunk_size;
       ++i) {
    const ChunkSlot& slot = e->chunks[i];
    bool fetching = slot.state == ChunkState::kBusy && slot.op &&
                    !slot.op->done && count_fetching;
    if (slot.state != ChunkState::kPresent && !fetching) return false;
  }
  return true;
}

Status ContentCache::Pin(const FileKey& key) {
  Status s = ValidateKey(key);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  std::string name = EntryName(key.id, key.version);
  // Opened as the store's current version: readable, whatever was retired.
  if (auto r = retired_.find(key.id); r != retired_.end()) {
    r->second.erase(key.version);
    if (r->second.empty()) retired_.erase(r);
  }
  DropOtherVersionsLocked(key.id, name);
  if (++pins_[name] > 1) return Status::Ok();
  auto it = entries_.find(name);
  if (it == entries_.end()) return Status::Ok();
  CacheEntry* e = it->second.get();
  for (int64_t i = 0; i < e->num_chunks(); ++i) {
    if (e->chunks[i].in_lru) RemoveFromLruLocked(e, i);
  }
  return Status::Ok();
}

void ContentCache::Unpin(const FileKey& key) {
  {
    std::lock_guard<std::mutex> l(mu_);
    std::string name = EntryName(key.id, key.version);
    auto pin = pins_.find(name);
    if (pin == pins_.end() || --pin->second > 0) return;
    pins_.erase(pin);
    // No handle has this version any more: nobody is left to refuse.
    if (auto r = retired_.find(key.id); r != retired_.end()) {
      r->second.erase(key.version);
      if (r->second.empty()) retired_.erase(r);
    }
    auto it = entries_.find(name);
    if (it == entries_.end()) return;
    EntryPtr e = it->second;
    // Superseded by a newer version, or emptied by eviction while open.
    if (e->superseded ||
        (e->present_chunks == 0 && e->busy_chunks == 0 && !e->verify_op)) {
      (void)DropEntryLocked(e, Status::Ok());
      return;
    }
    // Just closed: its chunks become the most recently used.
    for (int64_t i = 0; i < e->num_chunks(); ++i) {
      if (e->chunks[i].state == ChunkState::kPresent && !e->chunks[i].in_lru) {
        AddToLruLocked(e.get(), i);
      }
    }
  }
  EvictIfNeeded();
}

void ContentCache::Retire(const std::string& id, const std::string& version) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string name = EntryName(id, version);
  const bool open = pins_.count(name) > 0;
  // Only open handles hold a version to refuse; new opens take the store's
  // current one. Recording every change instead would grow without end on
  // a mount that runs for months.
  if (open) {
    retired_[id].insert(version);
    any_retired_ = true;
  }
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  if (open) {
    it->second->superseded = true;  // still open: dropped at its last Unpin
  } else {
    (void)DropEntryLocked(it->second, Status::Ok());
  }
}

Status ContentCache::CheckNotRetiredLocked(const FileKey& key) const {
  auto it = retired_.find(key.id);
  if (it == retired_.end() || it->second.count(key.version) == 0)
    return Status::Ok();
  return Status(StatusCode::kPreconditionFailed,
                "file " + key.id +
                    " changed on Drive since it was opened; reopen it to "
                    "read the new version");
}

Status ContentCache::CheckNotRetired(const FileKey& key) const {
  if (!any_retired_.load(std::memory_order_acquire)) return Status::Ok();
  std::lock_guard<std::mutex> l(mu_);
  return CheckNotRetiredLocked(key);
}

Status ContentCache::Invalidate(const std::string& id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = names_by_id_.find(id);
  if (it == names_by_id_.end()) return Status::Ok();
  std::vector<std::string> names(it->second.begin(), it->second.end());
  Status first_error;
  for (const std::string& name : names) {
    Status s = DropEntryLocked(entries_.at(name), Status::Ok());
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

CacheStats ContentCache::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  CacheStats out = stats_;
  out.bytes_cached = bytes_cached_;
  out.files = static_cast<int64_t>(entries_.size());
  return out;
}

Result<ContentCache::EntryPtr> ContentCache::AcquireEntry(const FileKey& key) {
  std::lock_guard<std::mutex> l(mu_);
  std::string name = EntryName(key.id, key.version);
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    if (SameContent(it->second->key, key)) return it->second;
    // Same version, different size or md5: trust neither copy.
    (void)DropEntryLocked(it->second, Status::Ok());
  }
  // Nothing of a replaced version to serve, nor to fetch.
  if (Status fresh = CheckNotRetiredLocked(key); !fresh.ok()) return fresh;
  DropOtherVersionsLocked(key.id, name);
  // Leftovers (an entry dropped when its unlink failed, a stray map) must
  // never be reused or describe the new, empty file.
  Status s = RemoveFile(PathOf(name, ".map"));
  if (s.ok()) s = RemoveFile(PathOf(name, ".data"));
  if (!s.ok()) return s;
  Result<CacheFile> file = CacheFile::Create(PathOf(name, ".data"), key.size);
  if (!file.ok()) return file.status();
  auto e = std::make_shared<CacheEntry>(key, name, options_.chunk_size,
                                        std::move(file).value());
  entries_.emplace(name, e);
  names_by_id_[key.id].insert(name);
  return e;
}

ContentCache::EntryPtr ContentCache::FindLocked(const FileKey& key) const {
  auto it = entries_.find(EntryName(key.id, key.version));
  if (it == entries_.end() || !SameContent(it->second->key, key)) {
    return nullptr;
  }
  return it->second;
}

Status ContentCache::DropEntryLocked(const EntryPtr& entry, Status why) {
  EntryPtr e = entry;  // `entry` may live in entries_, erased below
  if (e->dead) return Status::Ok();
  e->dead = true;
  e->discard_status = std::move(why);
  entries_.erase(e->name);
  auto ids = names_by_id_.find(e->key.id);
  if (ids != names_by_id_.end()) {
    ids->second.erase(e->name);
    if (ids->second.empty()) names_by_id_.erase(ids);
  }
  for (int64_t i = 0; i < e->num_chunks(); ++i) {
    if (e->chunks[i].in_lru) RemoveFromLruLocked(e.get(), i);
  }
  bytes_cached_ -= e->present_bytes;
  // Threads still using `e` keep its open fd; the names go now, so a new
  // entry with the same name starts from an empty file.
  Status data = RemoveFile(PathOf(e->name, ".data"));
  Status map = RemoveFile(PathOf(e->name, ".map"));
  return data.ok() ? map : data;
}

void ContentCache::DropOtherVersionsLocked(const std::string& id,
                                           const std::string& keep) {
  auto it = names_by_id_.find(id);
  if (it == names_by_id_.end()) return;
  std::vector<std::string> names(it->second.begin(), it->second.end());
  for (const std::string& name : names) {
    if (name == keep) continue;
    EntryPtr e = entries_.at(name);
    if (pins_.count(name) > 0) {
      e->superseded = true;  // still open: dropped at its last Unpin
    } else {
      (void)DropEntryLocked(e, Status::Ok());
    }
  }
}

bool ContentCache::PinnedLocked(const CacheEntry& e) const {
  return pins_.count(e.name) > 0;
}

void ContentCache::AddToLruLocked(CacheEntry* e, int64_t index) {
  ChunkSlot& slot = e->chunks[index];
  slot.lru_pos = lru_.insert(lru_.begin(), ChunkRef{e, index});
  slot.in_lru = true;
}

void ContentCache::RemoveFromLruLocked(CacheEntry* e, int64_t index) {
  ChunkSlot& slot = e->chunks[index];
  lru_.erase(slot.lru_pos);
  slot.in_lru = false;
}

std::string ContentCache::PathOf(const std::string& name,
                                 const char* suffix) const {
  return options_.dir + "/" + name + suffix;
}

}  // namespace gdmount::cache
