// LocalChangeLog: the ids this mount removed or moved (and those the change
// feed removed), so that Drive's news fetched before the change cannot undo
// it.
//
// Design note. The change feed and folder listings fetch from Drive without
// holding the store. A change page or listing page fetched just before this
// mount trashed a file, and stored just after, still shows the file alive;
// with its entry gone there is no version to compare against, so the file
// would reappear in its folder until the next page says it is trashed (the
// soak saw exactly that). Every local removal is therefore stamped with the
// next value of a counter; a reader takes the counter's value (a mark)
// before it fetches, and what it stores skips the ids removed after its
// mark. A reader that starts later sees Drive's word on the removal, so a
// stamp older than every reader under way hides nothing from anyone: a
// removal is stamped only while some reader is under way, and dropped when
// the last reader that could ask about it is done.
//
// A removal whose file Drive may still gain (a journaled create the
// uploader is sending: its answer may land after the removal, and the
// uploader then trashes it) stays open, hiding the id from every reader,
// until Settle() stamps it once the uploader is done with it.
//
// The mirror case: a listing fetched before this mount moved a file into
// the folder does not list it, and the end of that listing, which drops
// the folder's entries it did not list, would drop the file until the next
// change poll brought it back. Entries stored from outside a listing (a
// move or rename made here) are stamped too, from the same counter, and a
// listing keeps the ones stamped after its mark. Like removals, they are
// recorded only while a reader is under way (BeginRead/EndRead), and each
// EndRead drops the stamps no remaining reader can ask about, so the log
// stays as small as the changes made during the reads in progress.
//
// Thread safety: none; MetadataStore guards it with its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace gdmount::meta {

class LocalChangeLog {
 public:
  // A mark newer than every settled removal (open ones still hide).
  static constexpr uint64_t kLatest = UINT64_MAX - 1;
  // Settled stamps kept at most (the oldest are forgotten first).
  static constexpr size_t kMaxStamps = size_t{1} << 16;

  // The counter now. A reader takes its first mark with BeginRead (stamps
  // are kept only for readers under way); under way, it may take later
  // ones here.
  uint64_t Mark() const { return counter_; }
  // `id` was removed (here, or by the change feed); `open` while Drive may
  // still gain it. An open removal stays open until Settle().
  void Removed(const std::string& id, bool open);
  // An open removal is stamped now (a no-op for any other id).
  void Settle(const std::string& id);
  // Whether a reader with `mark` must not store `id`.
  bool Hides(const std::string& id, uint64_t mark) const;
  // Whether `id` was removed here and a reader under way may ask about it,
  // or Drive may still gain it (an open removal).
  bool Contains(const std::string& id) const {
    return removed_.by_id.count(id) != 0;
  }
  size_t size() const { return removed_.by_id.size(); }

  // `id`'s entry was stored from outside a listing: a move, rename, new
  // file or upload made here, or a change from the change feed.
  void Stored(const std::string& id);
  // A reader that will ask Hides/StoredSince/ChangedSince takes its mark
  // here, and gives it back when done.
  uint64_t BeginRead();
  void EndRead(uint64_t mark);
  // Whether a listing with `mark` must keep `id`'s entry though it did not
  // list it.
  bool StoredSince(const std::string& id, uint64_t mark) const;
  size_t stored_size() const { return stored_.by_id.size(); }
  // The ids removed (open removals included) or stored after `mark`, so a
  // folder view built from a listing can take them as stored now. False
  // if stamps after `mark` were already forgotten (the list is partial).
  bool ChangedSince(uint64_t mark, std::vector<std::string>* ids) const;

 private:
  static constexpr uint64_t kOpen = UINT64_MAX;

  // Ids with the stamp each got last, and the stamps in order.
  struct Stamps {
    std::unordered_map<std::string, uint64_t> by_id;  // or kOpen (removals)
    std::map<uint64_t, std::string> order;            // stamped ones only
    void Erase(const std::string& id);
    void DropOldest();
  };
  // Stamps `id` in `set` with the next counter value, forgetting the
  // oldest past kMaxStamps.
  void Stamp(Stamps& set, const std::string& id);
  // Stamp() while a reader is under way; else only forgets `id`'s stamp.
  void StampIfRead(Stamps& set, const std::string& id);

  uint64_t counter_ = 0;
  Stamps removed_;
  Stamps stored_;
  uint64_t forgotten_ = 0;           // the newest stamp dropped to bound memory
  std::multiset<uint64_t> readers_;  // marks of readers under way
};

}  // namespace gdmount::meta
