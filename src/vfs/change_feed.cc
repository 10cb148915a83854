#include "vfs/change_feed.h"

#include "gdmount/log.h"
#include "vfs/filesystem.h"

namespace gdmount::vfs {
namespace {

// The version the content cache keys `e` by ("" when removed).
std::string ContentVersion(const std::optional<meta::Entry>& e) {
  return e ? KeyOf(*e).version : std::string();
}

}  // namespace

ChangeFeed::ChangeFeed(meta::MetadataStore* store, drive::DriveClient* client,
                       Tree* tree, cache::ContentCache* cache,
                       ChangeFeedOptions options)
    : store_(store),
      client_(client),
      tree_(tree),
      cache_(cache),
      options_(std::move(options)) {}

ChangeFeed::~ChangeFeed() { Stop(); }

Status ChangeFeed::Init() {
  auto saved = store_->ChangeToken();
  if (!saved.ok()) return saved.status();
  if (saved->has_value()) return Status::Ok();
  // Listings stored without a token (an older gdmount) cannot be caught
  // up with: they are listed again when used.
  Status s = store_->InvalidateAllListings();
  if (!s.ok()) return s;
  auto token = client_->GetStartPageToken(options_.drive_id);
  if (!token.ok()) return token.status();
  return store_->SetChangeToken(*token);
}

void ChangeFeed::SetNotifier(KernelNotifier* notifier) {
  notifier_.store(notifier);
}

void ChangeFeed::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  poll_now_ = true;  // catch up at once
  thread_ = std::thread([this] { Run(); });
}

void ChangeFeed::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ChangeFeed::PollNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poll_now_ = true;
  }
  cv_.notify_all();
}

void ChangeFeed::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto woken = [this] { return stop_ || poll_now_; };
    if (options_.interval.count() > 0) {
      cv_.wait_for(lock, options_.interval, woken);
    } else {
      cv_.wait(lock, woken);
    }
    if (stop_) break;
    poll_now_ = false;
    lock.unlock();
    auto applied = Poll();
    if (!applied.ok()) {
      GDMOUNT_LOG(kWarning) << "change feed: " << applied.status().ToString()
                            << "; trying again at the next poll";
    }
    lock.lock();
  }
}

Result<size_t> ChangeFeed::Poll() {
  std::lock_guard<std::mutex> one(poll_mu_);
  auto failed = [this](const Status& s) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failed_polls;
    return s;
  };
  auto saved = store_->ChangeToken();
  if (!saved.ok()) return failed(saved.status());
  if (!saved->has_value()) {
    Status s = Init();
    if (!s.ok()) return failed(s);
    saved = store_->ChangeToken();
    if (!saved.ok()) return failed(saved.status());
  }
  std::string token = **saved;
  size_t total = 0;
  int64_t pages = 0;
  while (true) {
    // Before the fetch: what this mount removes meanwhile stays removed.
    const meta::ChangeRead read(store_);
    auto page =
        client_->ListChanges(token, options_.page_size, options_.drive_id);
    if (!page.ok()) {
      const StatusCode code = page.status().code();
      if (code == StatusCode::kInvalidArgument ||
          code == StatusCode::kNotFound) {
        GDMOUNT_LOG(kWarning)
            << "change feed: Drive rejected the saved page token ("
            << page.status().ToString()
            << "); every folder is listed again when next used";
        Status s = Restart();
        if (!s.ok()) return failed(s);
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.token_resets;
        ++stats_.polls;
        return total;
      }
      return failed(page.status());
    }
    ++pages;
    const bool last = page->next_page_token.empty();
    const std::string next =
        last ? page->new_start_page_token : page->next_page_token;
    if (next.empty())
      return failed(Status(StatusCode::kCorruption,
                           "changes.list page without a next token"));
    auto applied = store_->ApplyChanges(page->changes, next, read.mark());
    if (!applied.ok()) return failed(applied.status());
    for (const meta::AppliedChange& c : *applied) {
      if (c.before && ContentVersion(c.before) != ContentVersion(c.after))
        cache_->Retire(c.id, ContentVersion(c.before));
    }
    Notify(tree_->ApplyRemote(*applied));
    total += applied->size();
    if (last) break;
    token = next;
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) break;  // unmounting: the rest waits for the next mount
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.polls;
  stats_.pages += pages;
  stats_.changes_applied += static_cast<int64_t>(total);
  return total;
}

Status ChangeFeed::Restart() {
  auto token = client_->GetStartPageToken(options_.drive_id);
  if (!token.ok()) return token.status();
  Status s = tree_->InvalidateAll();
  if (!s.ok()) return s;
  s = store_->SetChangeToken(*token);
  if (!s.ok()) return s;
  // Whatever the kernel holds may be stale: its view of the root first
  // (the rest expires with the entry and attribute timeouts).
  if (KernelNotifier* n = notifier_.load()) n->InvalidateInode(meta::kRootIno);
  return Status::Ok();
}

void ChangeFeed::Notify(const KernelNotices& notices) {
  KernelNotifier* n = notifier_.load();
  if (!n) return;
  for (const auto& [parent, name] : notices.entries)
    n->InvalidateEntry(parent, name);
  for (uint64_t ino : notices.inodes) n->InvalidateInode(ino);
}

ChangeFeedStats ChangeFeed::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace gdmount::vfs
