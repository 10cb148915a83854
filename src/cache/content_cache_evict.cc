// ContentCache: keeping present bytes within the budget, least recently
// used chunk first. Selection happens under mu_ (the chunks turn busy, so
// nobody refetches them mid-eviction); the map write and the hole punching
// happen without it; the chunks turn absent under mu_ again.
#include <unordered_set>

#include "cache/content_cache.h"
#include "gdmount/log.h"

namespace gdmount::cache {

struct ContentCache::Victim {
  EntryPtr entry;
  int64_t index;
  std::shared_ptr<ChunkOp> op;
};

void ContentCache::EvictIfNeeded() {
  std::vector<Victim> victims;
  {
    std::lock_guard<std::mutex> l(mu_);
    victims = SelectVictimsLocked();
  }
  if (victims.empty()) return;
  // Record the chunks absent before their holes exist (see the header):
  // once per file, each snapshot already covers all of its victims.
  std::unordered_set<CacheEntry*> persisted;
  for (const Victim& v : victims) {
    if (persisted.insert(v.entry.get()).second) (void)PersistMap(v.entry);
  }
  std::vector<EntryPtr> failed;
  for (const Victim& v : victims) {
    const CacheEntry& e = *v.entry;
    Status s = e.file.PunchHole(e.ChunkOffset(v.index), e.ChunkLength(v.index));
    if (!s.ok()) {
      GDMOUNT_LOG(kWarning)
          << "cache: " << s.ToString() << "; dropping the whole file instead";
      failed.push_back(v.entry);
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  FinishEvictionLocked(victims, failed);
}

bool ContentCache::OverLimitsLocked() const {
  return bytes_cached_ > options_.budget_bytes ||
         static_cast<int64_t>(entries_.size()) - files_emptying_ >
             options_.max_files;
}

std::vector<ContentCache::Victim> ContentCache::SelectVictimsLocked() {
  std::vector<Victim> out;
  auto it = lru_.end();
  while (OverLimitsLocked() && it != lru_.begin()) {
    --it;
    CacheEntry* e = it->entry;
    const int64_t index = it->index;
    ChunkSlot& slot = e->chunks[index];
    if (slot.readers > 0) continue;  // being read: try an older one
    // erase() returns the (already visited) successor; the next --it
    // steps to the element before the victim.
    it = lru_.erase(it);
    slot.in_lru = false;
    auto op = std::make_shared<ChunkOp>();
    slot.state = ChunkState::kBusy;
    slot.op = op;
    const int64_t length = e->ChunkLength(index);
    ++e->busy_chunks;
    --e->present_chunks;
    e->present_bytes -= length;
    ++e->change_seq;
    e->verified = false;
    // An evicted chunk may come back different: the running hash no
    // longer describes what will be on disk.
    ++e->hash_epoch;
    e->hasher.reset();
    e->hashed_hex.clear();
    e->hashed_chunks = 0;
    bytes_cached_ -= length;
    // Deleted once evicted (FinishEvictionLocked), unless something else
    // keeps it.
    if (e->present_chunks == 0 && !e->emptying) {
      e->emptying = true;
      ++files_emptying_;
    }
    ++stats_.evictions;
    out.push_back(Victim{e->shared_from_this(), index, op});
  }
  return out;
}

void ContentCache::FinishEvictionLocked(const std::vector<Victim>& victims,
                                        const std::vector<EntryPtr>& failed) {
  for (const Victim& v : victims) {
    ChunkSlot& slot = v.entry->chunks[v.index];
    slot.state = ChunkState::kAbsent;
    slot.op.reset();
    --v.entry->busy_chunks;
    v.op->done = true;
    v.op->cv.notify_all();  // waiters see it absent and fetch it again
    if (v.entry->emptying) {
      v.entry->emptying = false;
      --files_emptying_;
    }
  }
  for (const EntryPtr& e : failed) (void)DropEntryLocked(e, Status::Ok());
  // A file with nothing left on disk and nobody using it is deleted.
  for (const Victim& v : victims) {
    const CacheEntry& e = *v.entry;
    if (!e.dead && e.present_chunks == 0 && e.busy_chunks == 0 &&
        !e.verify_op && !PinnedLocked(e)) {
      (void)DropEntryLocked(v.entry, Status::Ok());
    }
  }
}

}  // namespace gdmount::cache
