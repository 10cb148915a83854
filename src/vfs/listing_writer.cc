#include "vfs/listing_writer.h"

#include <utility>

namespace gdmount::vfs {
namespace {

constexpr size_t kMaxQueued = 2;

}  // namespace

ListingWriter::ListingWriter(meta::MetadataStore* store, std::string parent_id,
                             size_t batch_size)
    : store_(store),
      parent_id_(std::move(parent_id)),
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
  return store_->FinishListing(parent_id_, listed_, fetched_ms);
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
    Status s = store_->StoreListingPart(parent_id_, batch);
    batch.clear();
    lock.lock();
    busy_ = false;
    if (!s.ok() && error_.ok()) {
      error_ = s;
      queue_.clear();
    }
    cv_.notify_all();
  }
}

}  // namespace gdmount::vfs
