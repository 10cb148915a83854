// ViewCache: the folder views a Tree keeps in memory, bounded by the
// entries they hold together; the least recently used go first.
//
// Design note. A view costs about 1.4 KiB per child (the stored entry, its
// display name, the id index), so a mount that walks a large tree would
// otherwise grow with every folder it has ever shown (DESIGN.md section 4:
// memory bounded by configuration). An evicted view of a Drive folder is
// rebuilt from the metadata store, where its listing stays complete: no
// API call. The view in use is never evicted for being large: one folder
// over the cap is kept alone. Views handed out stay alive as long as their
// holders (an open directory) keep them; the cap counts only those kept
// here.
//
// Thread safety: none; the owner's mutex guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace gdmount::vfs {

// View: anything with a `children` container.
template <typename View>
class ViewCache {
 public:
  using Ptr = std::shared_ptr<const View>;

  explicit ViewCache(size_t max_entries) : max_entries_(max_entries) {}

  // The view of `id`, now the most recently used; nullptr if not kept.
  Ptr Get(const std::string& id) {
    auto it = views_.find(id);
    if (it == views_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.view;
  }
  // The same without counting as a use (a change applied to it is not).
  Ptr Peek(const std::string& id) const {
    auto it = views_.find(id);
    return it == views_.end() ? nullptr : it->second.view;
  }
  // Keeps `view` as the most recently used, then evicts others while the
  // entries kept pass the cap.
  void Put(const std::string& id, Ptr view) {
    auto it = views_.find(id);
    if (it == views_.end()) {
      lru_.push_front(id);
      it = views_.emplace(id, Kept{nullptr, lru_.begin()}).first;
    } else {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    Swap(&it->second, std::move(view));
    EvictOver();
  }
  // Replaces a kept view in place (its place in the order unchanged);
  // nothing if `id` is not kept.
  void Replace(const std::string& id, Ptr view) {
    auto it = views_.find(id);
    if (it == views_.end()) return;
    Swap(&it->second, std::move(view));
    EvictOver();
  }
  void Erase(const std::string& id) {
    auto it = views_.find(id);
    if (it == views_.end()) return;
    entries_ -= Weight(*it->second.view);
    lru_.erase(it->second.lru);
    views_.erase(it);
  }
  void Clear() {
    views_.clear();
    lru_.clear();
    entries_ = 0;
  }

  // Children of all views kept, plus one per view (an empty folder's view
  // costs memory too, and must not stay forever).
  size_t entries() const { return entries_; }
  size_t size() const { return views_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Kept {
    Ptr view;
    std::list<std::string>::iterator lru;
  };

  static size_t Weight(const View& view) { return view.children.size() + 1; }
  void Swap(Kept* kept, Ptr view) {
    if (kept->view) entries_ -= Weight(*kept->view);
    entries_ += Weight(*view);
    kept->view = std::move(view);
  }
  // Least recently used first; the most recent stays, however large.
  void EvictOver() {
    while (entries_ > max_entries_ && lru_.size() > 1) {
      const std::string victim = lru_.back();  // Erase frees the list's copy
      Erase(victim);
      ++evictions_;
    }
  }

  const size_t max_entries_;
  std::unordered_map<std::string, Kept> views_;
  std::list<std::string> lru_;  // front: most recently used
  size_t entries_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace gdmount::vfs
