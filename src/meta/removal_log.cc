#include "meta/removal_log.h"

namespace gdmount::meta {

void RemovalLog::Removed(const std::string& id, bool open) {
  auto it = stamps_.find(id);
  if (it != stamps_.end() && it->second != kOpen) order_.erase(it->second);
  if (open) {
    stamps_[id] = kOpen;
    return;
  }
  Stamp(id);
}

void RemovalLog::Settle(const std::string& id) {
  auto it = stamps_.find(id);
  if (it == stamps_.end() || it->second != kOpen) return;
  Stamp(id);
}

void RemovalLog::Stamp(const std::string& id) {
  const uint64_t stamp = ++counter_;
  stamps_[id] = stamp;
  order_[stamp] = id;
  while (order_.size() > kMaxStamps) {
    stamps_.erase(order_.begin()->second);
    order_.erase(order_.begin());
  }
}

bool RemovalLog::Hides(const std::string& id, uint64_t mark) const {
  auto it = stamps_.find(id);
  return it != stamps_.end() && it->second > mark;
}

}  // namespace gdmount::meta
