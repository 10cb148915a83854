#include "meta/local_change_log.h"

#include <algorithm>

namespace gdmount::meta {

void LocalChangeLog::Stamps::Erase(const std::string& id) {
  auto it = by_id.find(id);
  if (it == by_id.end()) return;
  if (it->second != kOpen) order.erase(it->second);
  by_id.erase(it);
}

void LocalChangeLog::Stamps::DropOldest() {
  by_id.erase(order.begin()->second);
  order.erase(order.begin());
}

void LocalChangeLog::Stamp(Stamps& set, const std::string& id) {
  set.Erase(id);
  const uint64_t stamp = ++counter_;
  set.by_id[id] = stamp;
  set.order[stamp] = id;
  while (set.order.size() > kMaxStamps) {
    forgotten_ = std::max(forgotten_, set.order.begin()->first);
    set.DropOldest();
  }
}

void LocalChangeLog::StampIfRead(Stamps& set, const std::string& id) {
  set.Erase(id);
  // No reader under way: any later one takes a mark after this.
  if (!readers_.empty()) Stamp(set, id);
}

void LocalChangeLog::Removed(const std::string& id, bool open) {
  if (open) {
    removed_.Erase(id);
    removed_.by_id[id] = kOpen;
    return;
  }
  // Open until settled, whoever else reports the removal (the change feed
  // may see a landed create deleted while the uploader is not done yet).
  auto it = removed_.by_id.find(id);
  if (it != removed_.by_id.end() && it->second == kOpen) return;
  StampIfRead(removed_, id);
}

void LocalChangeLog::Settle(const std::string& id) {
  auto it = removed_.by_id.find(id);
  if (it == removed_.by_id.end() || it->second != kOpen) return;
  StampIfRead(removed_, id);
}

void LocalChangeLog::Stored(const std::string& id) { StampIfRead(stored_, id); }

uint64_t LocalChangeLog::BeginRead() {
  readers_.insert(counter_);
  return counter_;
}

void LocalChangeLog::EndRead(uint64_t mark) {
  auto it = readers_.find(mark);
  if (it != readers_.end()) readers_.erase(it);
  // Stamps no remaining reader's mark precedes are of no use to anyone.
  const uint64_t floor = readers_.empty() ? counter_ : *readers_.begin();
  for (Stamps* set : {&removed_, &stored_})
    while (!set->order.empty() && set->order.begin()->first <= floor)
      set->DropOldest();
}

bool LocalChangeLog::StoredSince(const std::string& id, uint64_t mark) const {
  auto it = stored_.by_id.find(id);
  return it != stored_.by_id.end() && it->second > mark;
}

bool LocalChangeLog::ChangedSince(uint64_t mark,
                                  std::vector<std::string>* ids) const {
  for (const Stamps* set : {&removed_, &stored_})
    for (auto it = set->order.upper_bound(mark); it != set->order.end(); ++it)
      ids->push_back(it->second);
  for (const auto& [id, stamp] : removed_.by_id)
    if (stamp == kOpen) ids->push_back(id);
  return forgotten_ <= mark;
}

bool LocalChangeLog::Hides(const std::string& id, uint64_t mark) const {
  auto it = removed_.by_id.find(id);
  return it != removed_.by_id.end() && it->second > mark;
}

}  // namespace gdmount::meta
