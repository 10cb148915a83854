#include "cache/uploader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "gdmount/log.h"

namespace gdmount::cache {
namespace {

// The journaled bytes of one upload: exactly `size` bytes of the staging
// file; a shorter file (truncated since the commit) is an error, and a stop
// request (the uploader's, or this attempt's) cancels the read so the
// upload ends quickly.
class StagingSource : public drive::ContentSource {
 public:
  // `unchanged` is asked after each read: false means the staging file
  // may have changed while it was read. `stop_attempt` may be null.
  StagingSource(int fd, int64_t size, const std::atomic<bool>* stop,
                std::shared_ptr<const std::atomic<bool>> stop_attempt,
                std::function<bool()> unchanged)
      : fd_(fd),
        size_(size),
        stop_(stop),
        stop_attempt_(std::move(stop_attempt)),
        unchanged_(std::move(unchanged)) {}
  int64_t size() const override { return size_; }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override {
    if (stop_->load()) return Status(StatusCode::kCancelled, "unmounting");
    if (stop_attempt_ && stop_attempt_->load())
      return Status(StatusCode::kCancelled, "being removed here");
    size_t done = 0;
    while (done < n) {
      ssize_t r =
          ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0)
        return IoError(std::string("read staging file: ") +
                       std::strerror(errno));
      if (r == 0) return IoError("staging file shorter than journaled");
      done += static_cast<size_t>(r);
    }
    // Written to during this upload: these bytes may mix two versions,
    // and Drive must not get a mix (after a crash nothing would recognize
    // it as this mount's own). The writer's commit brings the next attempt.
    if (!unchanged_())
      return Status(StatusCode::kPreconditionFailed,
                    "staging file changed during the upload");
    return Status::Ok();
  }

 private:
  int fd_;
  int64_t size_;
  const std::atomic<bool>* stop_;
  std::shared_ptr<const std::atomic<bool>> stop_attempt_;
  std::function<bool()> unchanged_;
};

// "report.csv" -> "report (conflict 2026-11-27 061502).csv"
std::string ConflictName(const std::string& name, int64_t now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H%M%S", &tm);
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) dot = name.size();
  return name.substr(0, dot) + " (conflict " + stamp + ")" + name.substr(dot);
}

// Errors a retry soon cannot fix: wait long before the next attempt.
bool IsLasting(const Status& s) {
  return s.code() == StatusCode::kQuotaExceeded ||
         s.code() == StatusCode::kPermissionDenied ||
         s.code() == StatusCode::kNotFound ||
         s.code() == StatusCode::kUnauthenticated;
}

}  // namespace

Uploader::Uploader(meta::MetadataStore* store, drive::DriveClient* client,
                   WriteBack* write_back, UploaderOptions options, Clock* clock)
    : store_(store),
      client_(client),
      write_back_(write_back),
      options_(std::move(options)),
      clock_(clock) {}

Uploader::~Uploader() { Stop(); }

void Uploader::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  stop_ = false;
  cancel_ = false;
  for (int i = 0; i < std::max(1, options_.threads); ++i)
    threads_.emplace_back([this] { Run(); });
}

void Uploader::Kick() {
  std::lock_guard<std::mutex> lock(mu_);
  ++events_;
  cv_.notify_all();
}

void Uploader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    stop_ = true;
    cancel_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  started_ = false;
}

// The next row to send, and when to look again if there is none (-1: no
// row waits for a retry time). Urgent rows (an fsync waits) first, then
// the oldest due commit; rows in flight, held, or still open for writing
// (their close kicks the uploader) are skipped. The journal is read a page
// at a time: with 10,000 rows journaled, a pick reads a few, not all.
// REQUIRES mu_ (released while reading the store).
std::optional<meta::PendingUpload> Uploader::PickLocked(
    std::unique_lock<std::mutex>& lock, int64_t* next_due) {
  constexpr int64_t kPage = 64;
  *next_due = -1;
  auto free = [&](const std::string& id) {
    return !in_flight_.count(id) && !held_.count(id);
  };
  for (const std::string& id :
       std::vector<std::string>(urgent_.begin(), urgent_.end())) {
    if (!free(id)) continue;
    lock.unlock();
    auto row = store_->GetUpload(id);
    lock.lock();
    if (row.ok() && row->has_value() && free(id)) return std::move(**row);
  }
  const int64_t now = UnixMillis(clock_);
  int64_t after = 0;
  for (;;) {
    lock.unlock();
    auto page = store_->DueUploads(now, after, kPage);
    lock.lock();
    if (!page.ok()) {
      GDMOUNT_LOG(kError) << "upload journal unreadable: "
                          << page.status().ToString();
      *next_due = now + options_.retry_max.count();
      return std::nullopt;
    }
    for (meta::PendingUpload& u : *page) {
      after = u.seq;
      if (!free(u.id)) continue;
      // Still open for writing: more is coming; its close kicks us.
      if (write_back_->HasWriters(u.id)) continue;
      return std::move(u);
    }
    if (static_cast<int64_t>(page->size()) < kPage) break;
  }
  lock.unlock();
  auto due = store_->NextUploadDue(now);
  lock.lock();
  if (due.ok() && due->has_value()) *next_due = **due;
  return std::nullopt;
}

void Uploader::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const uint64_t seen = events_;
    int64_t next_due = -1;
    std::optional<meta::PendingUpload> pick = PickLocked(lock, &next_due);
    if (stop_) break;
    if (!pick) {
      const int64_t now = UnixMillis(clock_);
      auto wait =
          next_due < 0
              ? options_.retry_max
              : std::chrono::milliseconds(std::max<int64_t>(0, next_due - now));
      cv_.wait_for(lock, wait, [&] { return stop_ || events_ != seen; });
      continue;
    }
    const std::string id = pick->id;
    in_flight_.insert(id);
    stop_attempt_[id] = std::make_shared<std::atomic<bool>>(false);
    lock.unlock();
    // The pick was read without the lock: another thread may have finished
    // this row since. Now that the id is ours, read it again.
    auto fresh = store_->GetUpload(id);
    if (fresh.ok() && fresh->has_value()) UploadOne(**fresh);
    lock.lock();
    in_flight_.erase(id);
    stop_attempt_.erase(id);
    // Removed here while its create was being sent: the uploader has done
    // all it will (trashed what reached Drive).
    store_->SettleRemoval(id);
    ++events_;
    cv_.notify_all();
  }
}

Status Uploader::Send(const meta::PendingUpload& u, drive::DriveFile* uploaded,
                      const std::string& staged_id) {
  const std::string& staged = staged_id.empty() ? u.id : staged_id;
  int fd = ::open(u.staging_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return IoError("staging file " + u.staging_path + ": " +
                   std::strerror(errno));
  // Before the first read: any write from now on is noticed.
  const uint64_t stamp = write_back_->ChangeStamp(staged);
  std::shared_ptr<const std::atomic<bool>> stop_attempt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stop_attempt_.find(staged);
    if (it != stop_attempt_.end()) stop_attempt = it->second;
  }
  StagingSource content(fd, u.size, &cancel_, std::move(stop_attempt),
                        [this, &staged, stamp] {
                          return write_back_->ChangeStamp(staged) == stamp;
                        });
  *uploaded = drive::DriveFile();
  auto save = [&](const drive::UploadProgress& p) {
    if (p.done) {
      *uploaded = *p.done;  // made on Drive, even if the send then fails
      return;
    }
    (void)store_->SaveUploadSession(u.id, u.generation, p.session_uri,
                                    p.confirmed);
  };
  Result<drive::DriveFile> r = Status(StatusCode::kInternal, "not sent");
  if (!u.session_uri.empty()) {
    r = client_->ResumeUpload(u.session_uri, content, save);
    if (!r.ok() && r.status().code() == StatusCode::kNotFound) {
      GDMOUNT_LOG(kInfo) << "upload session of " << u.name
                         << " expired; starting again";
      (void)store_->SaveUploadSession(u.id, u.generation, "", 0);
    }
  }
  if (u.session_uri.empty() ||
      (!r.ok() && r.status().code() == StatusCode::kNotFound)) {
    drive::FileMetadata md;
    md.name = u.name;
    md.mime_type = u.mime_type;
    md.modified_ms = u.modified_ms;
    if (u.create) {
      md.id = u.id;
      md.parent_id = u.parent_id;
      // chmod/chown done before Drive had the file ride on its create.
      auto local = store_->Get(u.id);
      if (local.ok() && local->has_value()) {
        for (const auto& [key, value] : meta::FromEntry(**local).app_properties)
          md.app_properties[key] = value;
      }
    }
    r = client_->Upload(u.create ? "" : u.id, md, content, save);
  }
  ::close(fd);
  if (!r.ok()) return r.status();
  *uploaded = std::move(*r);
  return Status::Ok();
}

Status Uploader::UploadConflictCopy(
    const meta::PendingUpload& u,
    const std::optional<drive::DriveFile>& remote) {
  meta::PendingUpload copy = u;
  copy.create = true;
  copy.session_uri.clear();
  copy.name = ConflictName(u.name, UnixMillis(clock_));
  // Where this mount shows the file (a journaled move included); Drive's
  // folder only if it has none here.
  if (copy.parent_id.empty() && remote && !remote->parents.empty())
    copy.parent_id = remote->parents[0];
  auto id = client_->GenerateId();
  if (!id.ok()) return id.status();
  copy.id = *id;
  drive::DriveFile created;
  Status s = Send(copy, &created, u.id);
  if (!s.ok()) {
    // A copy Drive made of other bytes than the staging file's now: the
    // retry makes a new one, so this one must not stay beside it.
    if (!created.id.empty()) (void)client_->Trash(created.id);
    return s;
  }
  GDMOUNT_LOG(kWarning) << "conflict: " << u.name << " (" << u.id
                        << ") changed on Drive while it had local changes; "
                        << "the local version is uploaded as \"" << copy.name
                        << "\" and " << u.name << " keeps Drive's version";
  s = store_->Upsert({created});
  if (!s.ok()) return s;
  if (remote) {
    auto outcome = write_back_->FinishUpload(u.id, u.generation, *remote);
    if (!outcome.ok()) return outcome.status();
  } else {
    // Gone from Drive: the local entry goes too.
    Status dropped = write_back_->Discard(u.id);
    if (!dropped.ok()) return dropped;
    Status removed = store_->Remove(u.id);
    if (!removed.ok()) return removed;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.conflicts;
  }
  if (options_.on_folder_changed) {
    options_.on_folder_changed(copy.parent_id);
    if (copy.parent_id != u.parent_id) options_.on_folder_changed(u.parent_id);
  }
  return Status::Ok();
}

// Drive's file `remote` gets the name, parent, modification time and
// appProperties the journal row and the local entry hold (a rename, move,
// touch, chmod or chown made while the content was journaled, or while a
// create was in flight); `remote` becomes Drive's answer.
Status Uploader::PlaceAsJournaled(const meta::PendingUpload& u,
                                  drive::DriveFile* remote, bool with_time) {
  const std::string remote_parent =
      remote->parents.empty() ? "" : remote->parents[0];
  const bool move = !u.parent_id.empty() && remote_parent != u.parent_id;
  // A time set after the bytes were sent (touch -m while uploading), or
  // on a row whose bytes Drive already had. Before a content upload it
  // would cost a request of its own for nothing: the upload sets it.
  const bool touched =
      with_time && u.modified_ms > 0 && remote->modified_ms != u.modified_ms;
  if (remote->name != u.name || move || touched) {
    drive::FileMetadata patch;
    patch.name = u.name;
    if (touched) patch.modified_ms = u.modified_ms;
    auto moved = client_->Update(u.id, patch, move ? u.parent_id : "",
                                 move ? remote_parent : "");
    if (!moved.ok()) return moved.status();
    *remote = std::move(*moved);
  }
  auto local = store_->Get(u.id);
  if (!local.ok() || !local->has_value()) return Status::Ok();
  drive::FileMetadata props;
  for (const auto& [key, value] : meta::FromEntry(**local).app_properties) {
    auto it = remote->app_properties.find(key);
    if (it == remote->app_properties.end() || it->second != value)
      props.app_properties[key] = value;
  }
  if (props.app_properties.empty()) return Status::Ok();
  auto patched = client_->Update(u.id, props);
  if (!patched.ok()) return patched.status();
  *remote = std::move(*patched);
  return Status::Ok();
}

// Trashed only with its Drive folder (not by itself), a folder this mount
// has moved it out of: the move is journaled, not yet on Drive. An rmdir
// here cannot close that window (its check saw the folder empty, then an
// upload in flight landed in it), and another client trashing the folder
// did not mean a file this mount's user had already taken out of it.
bool Uploader::TrashedWithFolderLeft(const meta::PendingUpload& u,
                                     const drive::DriveFile& remote) const {
  return remote.trashed && !remote.explicitly_trashed && !u.parent_id.empty() &&
         std::find(remote.parents.begin(), remote.parents.end(), u.parent_id) ==
             remote.parents.end();
}

// Moves it where the journal has it, then out of the trash: Drive's bytes
// are untouched, so the upload goes on as if nothing had happened.
Status Uploader::RestoreMovedOut(const meta::PendingUpload& u,
                                 drive::DriveFile* remote) {
  // Deleted here since this attempt began: it stays in the trash.
  auto row = store_->GetUpload(u.id);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return Status::Ok();
  GDMOUNT_LOG(kInfo) << u.name << " (" << u.id
                     << ") was trashed on Drive with a folder it had been "
                     << "moved out of here; restoring it where it was moved";
  Status placed = PlaceAsJournaled(u, remote, /*with_time=*/false);
  if (!placed.ok()) return placed;
  auto untrashed = client_->Untrash(u.id);
  if (!untrashed.ok()) return untrashed.status();
  *remote = std::move(*untrashed);
  return Status::Ok();
}

void Uploader::UploadOne(const meta::PendingUpload& u) {
  drive::DriveFile uploaded;
  bool sent = false;
  if (!u.create) {
    // Someone else may have changed the file since the local edits began.
    auto remote = client_->GetFile(u.id);
    if (!remote.ok() && remote.status().code() != StatusCode::kNotFound)
      return Failed(u, remote.status());
    if (remote.ok() && TrashedWithFolderLeft(u, *remote)) {
      Status restored = RestoreMovedOut(u, &*remote);
      if (!restored.ok()) return Failed(u, restored);
    }
    const bool gone = !remote.ok() || remote->trashed;
    // Drive's bytes are the ones the edits started from, or the ones an
    // earlier attempt of this mount sent (its answer lost in a crash), or
    // exactly the ones journaled now (nothing to keep apart, whoever sent
    // them).
    const bool ours =
        !gone && ((!u.sent_md5.empty() && remote->md5 == u.sent_md5) ||
                  remote->md5 == u.md5);
    const bool changed =
        !gone && !ours &&
        (!u.base_md5.empty() ? remote->md5 != u.base_md5
                             : remote->version != u.base_version);
    if (gone) {
      // Deleted here while this upload was starting: the row is gone too.
      auto row = store_->GetUpload(u.id);
      if (row.ok() && !row->has_value()) return;
    }
    if (ours && remote->md5 != u.base_md5) {
      // Bytes of an earlier attempt (or generation) reached Drive unheard:
      // they are the base now, so that this attempt may mark other bytes
      // as sent (and die) without its retry taking Drive's for a conflict.
      Status adopted = write_back_->AdoptBase(u.id, *remote);
      if (!adopted.ok()) return Failed(u, adopted);
    }
    if (gone || changed) {
      GDMOUNT_LOG(kInfo) << "conflict check of " << u.name << " generation "
                         << u.generation << ": edits began at md5 "
                         << u.base_md5 << " version " << u.base_version
                         << "; Drive has "
                         << (gone ? std::string("nothing")
                                  : remote->md5 + " version " +
                                        std::to_string(remote->version));
      Status s = UploadConflictCopy(
          u, gone ? std::nullopt : std::optional<drive::DriveFile>(*remote));
      if (!s.ok()) Failed(u, s);
      return;
    }
    const bool there = remote->md5 == u.md5 && remote->size == u.size;
    Status placed = PlaceAsJournaled(u, &*remote, /*with_time=*/there);
    if (!placed.ok()) return Failed(u, placed);
    if (there) {
      uploaded = std::move(*remote);  // the bytes are there already
      sent = true;
    }
  }
  if (!sent) {
    Status marked = store_->MarkUploadSending(u.id, u.md5);
    if (!marked.ok()) return Failed(u, marked);
  }
  Status s = sent ? Status::Ok() : Send(u, &uploaded);
  const bool other_bytes =
      s.ok() && !uploaded.md5.empty() && uploaded.md5 != u.md5;
  if (u.create && (other_bytes || s.code() == StatusCode::kCorruption ||
                   s.code() == StatusCode::kAlreadyExists)) {
    // An earlier run's create of this id reached Drive with other bytes
    // (the answer was lost): update that file instead.
    meta::PendingUpload update = u;
    update.create = false;
    update.session_uri.clear();
    s = Send(update, &uploaded);
  }
  // A resumed session, or a create that reached Drive in an earlier
  // attempt, carries the name and folder of when it began: a rename or
  // move journaled since is applied now (out of the trash, if its first
  // folder was trashed meanwhile).
  if (s.ok() && !sent)
    s = TrashedWithFolderLeft(u, uploaded)
            ? RestoreMovedOut(u, &uploaded)
            : PlaceAsJournaled(u, &uploaded, true);
  if (!s.ok()) {
    if (!uploaded.id.empty()) {
      // The send failed after Drive made a version of it: bytes that
      // differ from the staging file's now (a resumed session whose first
      // part was read before a write; bytes damaged on the way). Still
      // this mount's own: later commits and the retry build on it, so
      // that none takes it for another client's change, whatever
      // generation the journal has reached meanwhile.
      Status rebased = write_back_->Rebase(u.id, uploaded);
      if (!rebased.ok()) return Failed(u, rebased);
    }
    return Failed(u, s);
  }
  if (!uploaded.md5.empty() && uploaded.md5 != u.md5) {
    // The staging file changed after this commit; a newer commit (if the
    // writer closed) carries the new bytes. Either way, not done.
    auto row = store_->GetUpload(u.id);
    if (row.ok() && row->has_value() && (*row)->generation == u.generation) {
      // What Drive has now is ours, not someone else's change: build on it.
      Status rebased = write_back_->Rebase(u.id, uploaded);
      if (!rebased.ok()) return Failed(u, rebased);
      return Failed(
          u, Status(StatusCode::kCorruption,
                    "Drive has md5 " + uploaded.md5 + ", the journal " + u.md5 +
                        " (the file changed while uploading)"));
    }
  }
  auto outcome = write_back_->FinishUpload(u.id, u.generation, uploaded);
  if (!outcome.ok()) return Failed(u, outcome.status());
  using Outcome = meta::MetadataStore::UploadOutcome;
  if (*outcome == Outcome::kDropped && u.create) RemoveCreated(u, false);
  std::lock_guard<std::mutex> lock(mu_);
  last_failure_.erase(u.id);
  if (*outcome == Outcome::kDone) {
    urgent_.erase(u.id);
    ++stats_.uploaded_files;
    stats_.uploaded_bytes += u.size;
    // Only an unmount's Drain shows these: kept only while one runs.
    if (draining_ > 0)
      finished_lines_.push_back("uploaded " + u.name + " (" +
                                std::to_string(u.size) + " bytes)");
  }
  GDMOUNT_LOG(kDebug) << "uploaded " << u.name << " (" << u.id << ", " << u.size
                      << " bytes, generation " << u.generation << ")";
}

void Uploader::RemoveCreated(const meta::PendingUpload& u, bool if_there) {
  if (if_there) {
    auto there = client_->GetFile(u.id);
    if (!there.ok() || there->trashed) return;  // not created, or gone
  }
  Status undone = options_.delete_permanently ? client_->Delete(u.id)
                                              : client_->Trash(u.id).status();
  if (!undone.ok() && undone.code() != StatusCode::kNotFound) {
    GDMOUNT_LOG(kWarning) << "could not remove " << u.name << " (" << u.id
                          << "), deleted while uploading: "
                          << undone.ToString();
  }
}

void Uploader::Failed(const meta::PendingUpload& u, const Status& s) {
  if (s.code() == StatusCode::kCancelled) return;  // stopping: resume later
  // Deleted (or replaced by a rename) here while it was uploading, so its
  // staging file went with the row: nothing is left to retry. Or committed
  // again meanwhile (say a writer truncated the staging file under this
  // attempt): the newer generation is the work now, and picked up next.
  auto row = store_->GetUpload(u.id);
  if (row.ok() && (!row->has_value() || (*row)->generation != u.generation)) {
    GDMOUNT_LOG(kDebug) << "upload of " << u.name << " (" << u.id
                        << ") stopped: "
                        << (row->has_value() ? "committed again"
                                             : "deleted here")
                        << " meanwhile (" << s.ToString() << ")";
    // A create that failed here may still have reached Drive (its answer
    // lost): the file deleted here must not stay there.
    if (!row->has_value() && u.create) RemoveCreated(u, true);
    return;
  }
  const int64_t shift = std::min<int64_t>(u.attempts, 16);
  auto delay = IsLasting(s)
                   ? options_.retry_max
                   : std::min(options_.retry_max,
                              options_.retry_min * (int64_t{1} << shift));
  GDMOUNT_LOG(kWarning) << "upload of " << u.name << " (" << u.id
                        << ") failed, attempt " << (u.attempts + 1) << ": "
                        << s.ToString() << "; retrying in "
                        << delay.count() / 1000.0 << " s";
  (void)store_->RecordUploadFailure(u.id, u.generation, s.ToString(),
                                    UnixMillis(clock_) + delay.count());
  std::lock_guard<std::mutex> lock(mu_);
  last_failure_[u.id] = s;
  ++stats_.failed_attempts;
}

Status Uploader::WaitFor(const std::string& id,
                         std::chrono::milliseconds timeout) {
  const auto deadline = clock_->SteadyNow() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  urgent_.insert(id);
  last_failure_.erase(id);
  ++events_;
  cv_.notify_all();
  while (true) {
    lock.unlock();
    auto row = store_->GetUpload(id);
    lock.lock();
    if (!row.ok()) return row.status();
    if (!row->has_value()) {
      urgent_.erase(id);
      return Status::Ok();
    }
    auto failed = last_failure_.find(id);
    if (failed != last_failure_.end()) {
      Status s = failed->second;
      urgent_.erase(id);
      return s;
    }
    if (clock_->SteadyNow() >= deadline || stop_) {
      urgent_.erase(id);
      return Status(StatusCode::kUnavailable,
                    "upload of " + (*row)->name + " not finished in time");
    }
    const uint64_t seen = events_;
    cv_.wait_until(lock, deadline, [&] { return events_ != seen || stop_; });
  }
}

Result<size_t> Uploader::Drain(
    std::chrono::milliseconds timeout,
    const std::function<void(const std::string&)>& progress,
    const std::function<bool()>& give_up) {
  // How often `give_up` is asked: a signal handler cannot notify cv_.
  constexpr auto kPoll = std::chrono::milliseconds(100);
  const auto deadline = clock_->SteadyNow() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  ++draining_;
  struct Done {
    Uploader* self;
    ~Done() {  // with mu_ held: every return below holds `lock`
      if (--self->draining_ == 0) self->finished_lines_.clear();
    }
  } done{this};
  while (true) {
    std::vector<std::string> lines;
    lines.swap(finished_lines_);
    lock.unlock();
    for (const auto& line : lines)
      if (progress) progress(line);
    auto rows = store_->PendingUploadCount();
    lock.lock();
    if (!rows.ok()) return rows.status();
    if (*rows == 0) return size_t{0};
    if (clock_->SteadyNow() >= deadline || stop_ || (give_up && give_up()))
      return static_cast<size_t>(*rows);
    const uint64_t seen = events_;
    const auto until =
        give_up ? std::min(deadline, clock_->SteadyNow() + kPoll) : deadline;
    cv_.wait_until(lock, until, [&] { return events_ != seen || stop_; });
  }
}

void Uploader::SettleRemovalWhenIdle(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  // In flight: Run() settles it when the attempt ends.
  if (!in_flight_.count(id)) store_->SettleRemoval(id);
}

bool Uploader::Hold(const std::string& id, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  ++held_[id];  // first: no thread picks it again once this attempt ends
  if (!in_flight_.count(id)) return true;
  auto it = stop_attempt_.find(id);
  if (it != stop_attempt_.end()) it->second->store(true);
  if (options_.on_stop_requested) options_.on_stop_requested(id);
  if (cv_.wait_for(lock, wait, [&] { return !in_flight_.count(id); }))
    return true;
  auto held = held_.find(id);
  if (--held->second == 0) held_.erase(held);
  ++events_;
  cv_.notify_all();
  return false;
}

void Uploader::Release(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);
  ++events_;  // its row (if any) may be picked again
  cv_.notify_all();
}

std::set<std::string> Uploader::InFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

UploadStats Uploader::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace gdmount::cache
