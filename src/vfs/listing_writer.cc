#include "vfs/listing_writer.h"

#include <cstdint>
#include <iterator>
#include <unordered_map>
#include <utility>

namespace gdmount::vfs {
namespace {

constexpr size_t kMaxQueued = 2;

}  // namespace

ListingWriter::ListingWriter(meta::MetadataStore* store, std::string parent_id,
                             size_t batch_size)
    : store_(store),
      parent_id_(std::move(parent_id)),
      change_read_(store),
      batch_size_(batch_size == 0 ? 1 : batch_size) {}

ListingWriter::~ListingWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ListingWriter::Add(std::vector<drive::DriveFile> files,
                          bool from_start) {
  if (from_start) {
    // A restarted listing: what was stored stays (true entries); the ids
    // that count for Finish are the new listing's.
    listed_.clear();
    pending_.clear();
  }
  listed_.reserve(listed_.size() + files.size());
  for (drive::DriveFile& f : files) {
    listed_.push_back(f.id);
    pending_.push_back(std::move(f));
  }
  if (pending_.size() >= batch_size_) {
    Enqueue(std::move(pending_));
    pending_.clear();
  }
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

Status ListingWriter::Finish(int64_t fetched_ms) {
  if (!pending_.empty()) {
    Enqueue(std::move(pending_));
    pending_.clear();
  }
  Status s = Drain();
  if (!s.ok()) return s;
  return store_->FinishListing(parent_id_, listed_, fetched_ms,
                               change_read_.mark());
}

std::vector<meta::Entry> ListingWriter::TakeEntries() {
  std::vector<meta::Entry> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(entries_);
  }
  // Keep the last copy of each id the final pass listed: a restart may have
  // stored an id twice, or stored ids that are gone since.
  std::unordered_map<std::string, size_t> last;  // id -> index in `all`
  last.reserve(listed_.size());
  for (const std::string& id : listed_) last.emplace(id, SIZE_MAX);
  for (size_t i = 0; i < all.size(); ++i) {
    auto it = last.find(all[i].id);
    if (it != last.end()) it->second = i;
  }
  std::vector<meta::Entry> out;
  out.reserve(last.size());
  for (size_t i = 0; i < all.size(); ++i) {
    auto it = last.find(all[i].id);
    if (it == last.end() || it->second != i || all[i].trashed) continue;
    out.push_back(std::move(all[i]));
  }
  return out;
}

void ListingWriter::Enqueue(std::vector<drive::DriveFile> batch) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  if (!error_.ok()) return;
  queue_.push_back(std::move(batch));
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  cv_.notify_all();
}

Status ListingWriter::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  return error_;
}

void ListingWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::vector<drive::DriveFile> batch = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    cv_.notify_all();  // room in the queue
    lock.unlock();
    std::vector<meta::Entry> stored;
    Status s = store_->StoreListingPart(parent_id_, batch, &stored,
                                        change_read_.mark());
    batch.clear();
    lock.lock();
    busy_ = false;
    entries_.insert(entries_.end(), std::make_move_iterator(stored.begin()),
                    std::make_move_iterator(stored.end()));
    if (!s.ok() && error_.ok()) {
      error_ = s;
      queue_.clear();
    }
    cv_.notify_all();
  }
}

}  // namespace gdmount::vfs
