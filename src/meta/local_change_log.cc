#include "meta/local_change_log.h"

#include <algorithm>

namespace gdmount::meta {

void LocalChangeLog::Removed(const std::string& id, bool open) {
  auto it = stamps_.find(id);
  if (it != stamps_.end() && it->second != kOpen) order_.erase(it->second);
  if (open) {
    stamps_[id] = kOpen;
    return;
  }
  Stamp(id);
}

void LocalChangeLog::Settle(const std::string& id) {
  auto it = stamps_.find(id);
  if (it == stamps_.end() || it->second != kOpen) return;
  Stamp(id);
}

void LocalChangeLog::Stamp(const std::string& id) {
  const uint64_t stamp = ++counter_;
  stamps_[id] = stamp;
  order_[stamp] = id;
  while (order_.size() > kMaxStamps) {
    forgotten_ = std::max(forgotten_, order_.begin()->first);
    stamps_.erase(order_.begin()->second);
    order_.erase(order_.begin());
  }
}

void LocalChangeLog::Stored(const std::string& id) {
  auto it = stored_.find(id);
  if (it != stored_.end()) {
    stored_order_.erase(it->second);
    stored_.erase(it);
  }
  // No reader under way: any later one takes a mark after this.
  if (readers_.empty()) return;
  const uint64_t stamp = ++counter_;
  stored_[id] = stamp;
  stored_order_[stamp] = id;
  while (stored_order_.size() > kMaxStamps) {
    forgotten_ = std::max(forgotten_, stored_order_.begin()->first);
    stored_.erase(stored_order_.begin()->second);
    stored_order_.erase(stored_order_.begin());
  }
}

uint64_t LocalChangeLog::BeginRead() {
  readers_.insert(counter_);
  return counter_;
}

void LocalChangeLog::EndRead(uint64_t mark) {
  auto it = readers_.find(mark);
  if (it != readers_.end()) readers_.erase(it);
  // Stamps no remaining reader's mark precedes are of no use to anyone.
  const uint64_t floor = readers_.empty() ? counter_ : *readers_.begin();
  while (!stored_order_.empty() && stored_order_.begin()->first <= floor) {
    stored_.erase(stored_order_.begin()->second);
    stored_order_.erase(stored_order_.begin());
  }
}

bool LocalChangeLog::StoredSince(const std::string& id, uint64_t mark) const {
  auto it = stored_.find(id);
  return it != stored_.end() && it->second > mark;
}

bool LocalChangeLog::ChangedSince(uint64_t mark,
                                  std::vector<std::string>* ids) const {
  for (auto it = order_.upper_bound(mark); it != order_.end(); ++it)
    ids->push_back(it->second);
  for (auto it = stored_order_.upper_bound(mark); it != stored_order_.end();
       ++it)
    ids->push_back(it->second);
  for (const auto& [id, stamp] : stamps_)
    if (stamp == kOpen) ids->push_back(id);
  return forgotten_ <= mark;
}

bool LocalChangeLog::Hides(const std::string& id, uint64_t mark) const {
  auto it = stamps_.find(id);
  return it != stamps_.end() && it->second > mark;
}

}  // namespace gdmount::meta
