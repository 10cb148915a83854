// ChangeFeed: keeps the mount coherent with changes made elsewhere (the
// browser, another machine, a colleague on a shared drive).
//
// Design note. Drive's changes.list, from a page token saved in the
// metadata store, is polled every interval (and on demand). Each page is
// applied to the store in one transaction together with the token of the
// next page (MetadataStore::ApplyChanges), so a crash or restart resumes
// where it stopped: a remount after a day applies a day of changes instead
// of listing every folder again. Then, outside any lock:
//   - folder views the changes touch are rebuilt from what they held (a
//     cached listing is never fetched again because of a change);
//   - a file whose content changed has its old cached version retired
//     (ContentCache::Retire): reclaimed, except the chunks open handles
//     hold, which keep serving the version those handles opened;
//   - the kernel is told which names and inodes to forget (KernelNotifier),
//     from the feed's own thread.
// If Drive rejects the token (too old, or a database copied from another
// account), every listing is marked stale and folders are listed again as
// they are used; that is logged once.
//
// A new database (or one written before the feed existed) takes a fresh
// token in Init(), before anything is listed, so no change between the
// token and a listing is missed; its older listings are not trusted.
//
// Thread safety: thread-safe. One poll runs at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "cache/content_cache.h"
#include "gdmount/clock.h"
#include "gdmount/drive_client.h"
#include "meta/metadata_store.h"
#include "vfs/kernel_notifier.h"
#include "vfs/tree.h"

namespace gdmount::vfs {

struct ChangeFeedOptions {
  // Between polls; zero polls only when asked (PollNow).
  std::chrono::milliseconds interval{15000};
  // The mounted shared drive's id ("" for My Drive or a folder in it).
  std::string drive_id;
  int page_size = 1000;
};

struct ChangeFeedStats {
  int64_t polls = 0;
  int64_t pages = 0;
  int64_t changes_applied = 0;  // that changed something stored
  int64_t failed_polls = 0;
  int64_t token_resets = 0;  // Drive rejected the saved token
};

class ChangeFeed {
 public:
  // The pointers must outlive the feed.
  ChangeFeed(meta::MetadataStore* store, drive::DriveClient* client, Tree* tree,
             cache::ContentCache* cache, ChangeFeedOptions options);
  ~ChangeFeed();  // Stop()
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Before the first listing: with no saved token, marks stored listings
  // stale and saves Drive's current start token. Errors: the Drive call's.
  Status Init();
  // Who to tell about stale kernel caches (the FUSE frontend, once
  // mounted); nullptr stops telling.
  void SetNotifier(KernelNotifier* notifier);
  // Starts the polling thread; it polls at once (catching up with what
  // changed while unmounted), then every interval or when asked.
  void Start();
  void Stop();
  // Asks the thread for a poll now. Safe from any thread (not from a
  // signal handler).
  void PollNow();

  // One poll: follows every page to the end. Returns the number of
  // changes applied. Errors: the Drive or store call's (the token stays
  // where the last applied page left it).
  Result<size_t> Poll();

  ChangeFeedStats stats() const;

 private:
  void Run();
  // Drive rejected the saved token: start over from a new one.
  Status Restart();
  void Notify(const KernelNotices& notices);

  meta::MetadataStore* const store_;
  drive::DriveClient* const client_;
  Tree* const tree_;
  cache::ContentCache* const cache_;
  const ChangeFeedOptions options_;

  std::mutex poll_mu_;  // one Poll at a time; held across Drive calls
  std::atomic<KernelNotifier*> notifier_{nullptr};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;      // GUARDED_BY(mu_)
  bool poll_now_ = false;  // GUARDED_BY(mu_)
  ChangeFeedStats stats_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace gdmount::vfs
