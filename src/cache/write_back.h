// WriteBack: the local side of the write path. Files being written live in
// staging files on local disk; close() makes them durable by journaling
// them before it returns; the Uploader (cache/uploader.h) takes them to
// Drive from the journal.
//
// Design note. A file opened for writing gets one staging file,
// staging_dir/<Drive id> (0600, in a 0700 directory), holding its whole
// content: Drive's bytes copied in first (through the content cache) unless
// the open truncates or the file is new, then the writes, at local-disk
// speed. While a staging file exists, every handle of that id reads it, so
// a write is seen at once by all readers of this mount. Commit() (flush or
// release of a handle that wrote, and fsync) fdatasyncs the staging file,
// hashes it, and stores a journal row plus the local entry in one SQLite
// transaction; only then does close() return, so a daemon crash after it
// loses nothing (the journal and the staging file survive; the next mount
// resumes the upload). New files are journaled with create = true and the
// Drive id pre-generated at create(), so the upload is idempotent and later
// edits update the same file.
//
// The staging file stays while a handle has it open or the journal still
// needs it; the Uploader calls Uploaded() when the last generation reached
// Drive, and the last Close() then removes it.
//
// An upload reads the staging file as it is when the upload runs; bytes
// written after a commit are covered by the next commit (a newer
// generation), which is uploaded after it, so Drive ends with the last
// committed content.
//
// Thread safety: thread-safe. Lock order: WriteBack::mu_ -> StagedFile::mu_
// -> MetadataStore; ContentCache calls are
// made without WriteBack::mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cache/content_cache.h"
#include "cache/file_key.h"
#include "gdmount/result.h"
#include "gdmount/status.h"
#include "meta/metadata_store.h"

namespace gdmount::cache {

struct WriteBackOptions {
  std::string staging_dir;  // created 0700 if missing
  // Bytes of staged content allowed on disk; 0 = no limit.
  int64_t staging_limit = 0;
  // When a write would pass the limit: wait up to full_wait for uploads to
  // free space (true), or fail with ENOSPC at once (false).
  bool block_when_full = true;
  std::chrono::milliseconds full_wait{std::chrono::minutes(5)};
};

// One id's staging file, shared by every handle that has it open.
class StagedFile {
 public:
  const std::string& id() const { return id_; }
  int64_t size() const;
  bool dirty() const;  // written since the last commit

 private:
  friend class WriteBack;
  StagedFile(std::string id, std::string path, int fd)
      : id_(std::move(id)), path_(std::move(path)), fd_(fd) {}

  const std::string id_;
  const std::string path_;
  mutable std::mutex mu_;
  // Set while Drive's content is copied in, by the opener that does it and
  // with no lock held across the copy. Other opens and reads wait on
  // `copied_`, so no write lands before the copy and is overwritten by it,
  // and no read sees half a copy.
  bool copying_ = false;  // GUARDED_BY(mu_)
  std::condition_variable copied_;
  int fd_ = -1;               // GUARDED_BY(mu_); -1 once removed
  int64_t size_ = 0;          // GUARDED_BY(mu_)
  bool dirty_ = false;        // GUARDED_BY(mu_)
  bool create_ = false;       // GUARDED_BY(mu_): Drive has no such file yet
  bool copy_failed_ = false;  // GUARDED_BY(mu_): content is not whole
  int64_t base_version_ = 0;  // GUARDED_BY(mu_)
  std::string base_md5_;      // GUARDED_BY(mu_)
  int users_ = 0;             // GUARDED_BY(WriteBack::mu_)
  int writers_ = 0;           // GUARDED_BY(WriteBack::mu_): of the users
  // Bytes of this file counted in WriteBack::staged_bytes_: a high-water
  // mark claimed before each write, so concurrent writers never count the
  // same growth twice.
  int64_t accounted_ = 0;   // GUARDED_BY(WriteBack::mu_)
  bool journaled_ = false;  // GUARDED_BY(WriteBack::mu_)
  // WriteBack::ChangeStamp: set before each write or truncate lands.
  std::atomic<uint64_t> changed_at_{0};
};

class WriteBack {
 public:
  // The pointers must outlive the WriteBack.
  WriteBack(meta::MetadataStore* store, ContentCache* cache,
            WriteBackOptions options);
  ~WriteBack();

  // Creates the staging directory (0700) and accounts for the staging
  // files the journal still needs; removes the ones it does not.
  Status Init();

  // Stages `e` for writing. Its Drive content (`key`) is copied in first
  // unless `truncate` or it is staged already. Takes a reference; pair
  // with Close().
  Result<std::shared_ptr<StagedFile>> OpenWrite(const meta::Entry& e,
                                                const FileKey& key,
                                                bool truncate);
  // Stages a new, empty file that Drive does not have yet (id already
  // allocated). Takes a reference.
  Result<std::shared_ptr<StagedFile>> Create(const meta::Entry& e);
  // The staging file of `id` if it has one (open for writing, or journaled
  // by this or an earlier run), for reading; nullptr if none. Takes a
  // reference when it returns one.
  Result<std::shared_ptr<StagedFile>> OpenRead(const std::string& id);
  // Drops a reference (`writer`: one OpenWrite or Create gave); the
  // staging file is removed when no handle has it and the journal no
  // longer needs it.
  void Close(const std::shared_ptr<StagedFile>& f, bool writer);
  // Whether a handle has `id` open for writing: its journaled content is
  // likely to be followed by more soon (the uploader waits for the close).
  bool HasWriters(const std::string& id) const;

  Result<size_t> Read(StagedFile& f, int64_t offset, char* buf, size_t size);
  // NoSpace when the staging limit is reached (after waiting, if so
  // configured).
  Result<size_t> Write(StagedFile& f, int64_t offset, const char* buf,
                       size_t size);
  Status Truncate(StagedFile& f, int64_t size);

  // Makes the staged content durable and journals it for upload, with the
  // name, parent and type of `e` and modification time `modified_ms`.
  // A no-op if nothing was written since the last commit. Returns the
  // journal generation (0 for a no-op).
  Result<int64_t> Commit(StagedFile& f, const meta::Entry& e,
                         int64_t modified_ms);

  // The Uploader: generation `generation` of `id` reached Drive as
  // `uploaded`. Records it in the store (MetadataStore::CompleteUpload)
  // under the file's lock, so a Commit racing with it journals content that
  // builds on `uploaded`; when it was the last generation, the staging file
  // goes once no handle has it. The content cache's versions of `id` go
  // too (ContentCache::Invalidate): they are older than `uploaded`.
  Result<meta::MetadataStore::UploadOutcome> FinishUpload(
      const std::string& id, int64_t generation,
      const drive::DriveFile& uploaded);
  // An upload of `id` reached Drive with other bytes than journaled (the
  // staging file changed during it): later edits and the retry build on
  // `uploaded` (MetadataStore::RebaseUpload, under the file's lock).
  Status Rebase(const std::string& id, const drive::DriveFile& uploaded);
  // Drive holds bytes this mount sent for `id` earlier, unheard (say in a
  // crash): they become the base of the journal row and of later commits
  // (MetadataStore::AdoptUploadBase, under the file's lock). Unlike Rebase,
  // the row's session is kept.
  Status AdoptBase(const std::string& id, const drive::DriveFile& remote);
  // The file was deleted: its staged bytes and journal row are dropped.
  // `dropped`, if given, receives the row as it was (nullopt if none).
  Status Discard(const std::string& id,
                 std::optional<meta::PendingUpload>* dropped = nullptr);

  // Bytes of staged content on disk.
  int64_t staged_bytes() const;
  // The size of `id`'s staging file while a handle has it open (it may be
  // ahead of the last commit); nullopt otherwise.
  std::optional<int64_t> StagedSize(const std::string& id) const;
  // Changes whenever `id`'s staging file may have changed: taken before an
  // upload reads it and compared after each read, it tells the upload that
  // the bytes it read may be a mix of two versions (the uploader then
  // stops before Drive gets them). Set before a write lands, from one
  // counter, so a staging file attached again never repeats a stamp.
  uint64_t ChangeStamp(const std::string& id) const;

 private:
  std::string PathOf(const std::string& id) const;
  // FinishUpload's record in the store and the attached staging file.
  Result<meta::MetadataStore::UploadOutcome> RecordUpload(
      const std::string& id, int64_t generation,
      const drive::DriveFile& uploaded);
  // Registers (or finds) the StagedFile for `id` backed by `path`, opening
  // the file; `fresh` truncates it. Takes a reference. REQUIRES mu_.
  Result<std::shared_ptr<StagedFile>> AttachLocked(const std::string& id,
                                                   const std::string& path,
                                                   bool fresh);
  Status CopyIn(StagedFile& f, const FileKey& key);
  // Waits until no copy of Drive's content into `f` is in progress; an
  // error if that copy failed. `lock` holds f.mu_.
  Status AwaitCopy(StagedFile& f, std::unique_lock<std::mutex>& lock);
  // Waits for room for `more` bytes. REQUIRES lock on mu_.
  Status ReserveLocked(std::unique_lock<std::mutex>& lock, int64_t more);
  void RemoveLocked(const std::string& id);

  meta::MetadataStore* const store_;
  ContentCache* const cache_;
  const WriteBackOptions options_;

  mutable std::mutex mu_;
  std::condition_variable room_;
  std::map<std::string, std::shared_ptr<StagedFile>> files_;  // GUARDED_BY
  int64_t staged_bytes_ = 0;                                  // GUARDED_BY
  std::atomic<uint64_t> change_clock_{0};
};

}  // namespace gdmount::cache
