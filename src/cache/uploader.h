// Uploader: drains the upload journal (meta/upload_journal.h) to Drive.
//
// Design note. A pool of threads takes journal rows oldest commit first,
// one upload per file at a time (fsync'ed files go first). Each upload
// reads the staging file (cache/write_back.h) and sends it: multipart up to
// the client's threshold, resumable above it, with the session URI and
// every confirmed offset saved in the journal, so a restart continues a
// large upload where Drive says it stopped. A new file is created with the
// id it was given at create() (idempotent). Before updating an existing
// file, its Drive md5 (or version) is compared with the one the local
// edits started from: if someone else changed it meanwhile, the local
// content is uploaded as a new file "NAME (conflict YYYY-MM-DD HHMMSS).EXT"
// beside it and the local entry goes back to Drive's version; neither is
// overwritten. The md5 Drive reports must equal the journaled one.
//
// Failures: the client already retried transient errors; what comes back
// is recorded in the journal row (attempts, last error) and retried after
// a backoff (1 s doubling to retry_max; quota, permission and missing-
// parent errors wait retry_max). Staged data is never dropped on error.
// A file deleted locally while its upload was in flight is not resurrected:
// if the upload had created it, it is trashed again.
//
// Thread safety: thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/write_back.h"
#include "gdmount/clock.h"
#include "gdmount/drive_client.h"
#include "meta/metadata_store.h"

namespace gdmount::cache {

struct UploaderOptions {
  int threads = 4;
  std::chrono::milliseconds retry_min{1000};
  std::chrono::milliseconds retry_max{60000};
  // Removing a file whose create is undone: permanently, or to the trash.
  bool delete_permanently = false;
  // Called (from an uploader thread, no lock held) after the uploader
  // changed what a folder contains beyond the journaled file itself (a
  // conflict copy appeared, a file went back to Drive's version), so views
  // can be refreshed.
  std::function<void(const std::string& folder_id)> on_folder_changed;
  // Called (with the uploader's lock held: only for tests to observe the
  // order of events) when Hold asks an attempt in flight to stop.
  std::function<void(const std::string& id)> on_stop_requested;
};

struct UploadStats {
  int64_t uploaded_files = 0;
  int64_t uploaded_bytes = 0;
  int64_t failed_attempts = 0;
  int64_t conflicts = 0;
};

class Uploader {
 public:
  // The pointers must outlive the Uploader.
  Uploader(meta::MetadataStore* store, drive::DriveClient* client,
           WriteBack* write_back, UploaderOptions options,
           Clock* clock = RealClock());
  ~Uploader();  // Stop()
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Starts the threads; they pick up what the journal holds already.
  void Start();
  // New work was journaled.
  void Kick();
  // Stops taking work, cancels uploads in flight (their sessions stay
  // journaled for the next run) and joins the threads.
  void Stop();

  // fsync: waits until `id` has nothing journaled (every committed
  // generation is on Drive), moving it to the front. Returns the error of
  // an attempt that failed meanwhile (QuotaExceeded, PermissionDenied,
  // ...), or Unavailable after `timeout`.
  Status WaitFor(const std::string& id, std::chrono::milliseconds timeout);
  // Unmount: waits until the journal is empty, `timeout` passed or
  // `give_up` (polled a few times a second: it may read a flag a signal
  // handler sets) says stop, calling `progress` with a line per file
  // uploaded. Returns how many files are still journaled.
  Result<size_t> Drain(std::chrono::milliseconds timeout,
                       const std::function<void(const std::string&)>& progress,
                       const std::function<bool()>& give_up = nullptr);

  UploadStats stats() const;
  // The ids an attempt is uploading right now.
  std::set<std::string> InFlight() const;
  // `id`, a journaled create, was removed here (MetadataStore::Remove with
  // drive_may_gain): settles the removal now if no attempt is sending it,
  // else when that attempt ends. (Lock order: the uploader's lock, then
  // the store's.)
  void SettleRemovalWhenIdle(const std::string& id);
  // Keeps attempts off `id` until Release(id): a removal can then ask
  // Drive first and drop the journal row only once Drive agreed, so a
  // refusal leaves the journaled bytes as they were. An attempt sending it
  // now is asked to stop (at its next read of the staging file; its
  // session stays) and waited for, up to `wait`; false, and nothing held,
  // if it has not ended by then. Holds nest.
  bool Hold(const std::string& id, std::chrono::milliseconds wait);
  void Release(const std::string& id);

 private:
  void Run();
  // One attempt at row `u`; records the outcome.
  void UploadOne(const meta::PendingUpload& u);
  // Deleted here while its create was being sent: the file that create
  // made on Drive goes too (`if_there`: only if Drive has it, untrashed).
  void RemoveCreated(const meta::PendingUpload& u, bool if_there);
  // `with_time`: the modification time too (when no content upload,
  // which carries it, follows).
  Status PlaceAsJournaled(const meta::PendingUpload& u,
                          drive::DriveFile* remote, bool with_time);
  // `remote` was trashed along with a Drive folder the journal has moved it
  // out of; RestoreMovedOut puts it where the journal says, untrashed.
  bool TrashedWithFolderLeft(const meta::PendingUpload& u,
                             const drive::DriveFile& remote) const;
  Status RestoreMovedOut(const meta::PendingUpload& u,
                         drive::DriveFile* remote);
  std::optional<meta::PendingUpload> PickLocked(
      std::unique_lock<std::mutex>& lock, int64_t* next_due);
  // Uploads u's staging file (that of `staged_id`, "" for u.id). Even when
  // it fails, `uploaded` holds the version Drive made, if it made one (its
  // id is empty otherwise).
  Status Send(const meta::PendingUpload& u, drive::DriveFile* uploaded,
              const std::string& staged_id = "");
  Status UploadConflictCopy(const meta::PendingUpload& u,
                            const std::optional<drive::DriveFile>& remote);
  void Failed(const meta::PendingUpload& u, const Status& s);

  meta::MetadataStore* const store_;
  drive::DriveClient* const client_;
  WriteBack* const write_back_;
  const UploaderOptions options_;
  Clock* const clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // work, completion, stop
  bool stop_ = false;                // GUARDED_BY(mu_)
  bool started_ = false;             // GUARDED_BY(mu_)
  std::set<std::string> in_flight_;  // GUARDED_BY(mu_)
  // Per id in flight: set by Hold to stop that attempt.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>>
      stop_attempt_;                            // GUARDED_BY(mu_)
  std::set<std::string> urgent_;                // GUARDED_BY(mu_)
  std::map<std::string, int> held_;             // GUARDED_BY(mu_): Hold
  std::map<std::string, Status> last_failure_;  // GUARDED_BY(mu_)
  uint64_t events_ = 0;                         // GUARDED_BY(mu_)
  std::vector<std::string> finished_lines_;     // GUARDED_BY(mu_)
  int draining_ = 0;                 // GUARDED_BY(mu_): Drain calls running
  UploadStats stats_;                // GUARDED_BY(mu_)
  std::atomic<bool> cancel_{false};  // Stop(): uploads in flight end
  std::vector<std::thread> threads_;
};

}  // namespace gdmount::cache
