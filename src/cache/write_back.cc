#include "cache/write_back.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "gdmount/log.h"
#include "util/encoding.h"

namespace gdmount::cache {
namespace {

constexpr size_t kCopyBlock = 1 << 20;

Status Errno(const std::string& what) {
  return IoError(what + ": " + std::strerror(errno));
}

}  // namespace

int64_t StagedFile::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

bool StagedFile::dirty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dirty_;
}

WriteBack::WriteBack(meta::MetadataStore* store, ContentCache* cache,
                     WriteBackOptions options)
    : store_(store), cache_(cache), options_(std::move(options)) {}

WriteBack::~WriteBack() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, f] : files_) {
    std::lock_guard<std::mutex> file_lock(f->mu_);
    if (f->fd_ >= 0) ::close(f->fd_);
    f->fd_ = -1;
  }
}

std::string WriteBack::PathOf(const std::string& id) const {
  return options_.staging_dir + "/" + id;
}

Status WriteBack::Init() {
  std::error_code ec;
  std::filesystem::create_directories(options_.staging_dir, ec);
  if (ec)
    return IoError("cannot create staging directory " + options_.staging_dir +
                   ": " + ec.message());
  if (::chmod(options_.staging_dir.c_str(), 0700) != 0)
    return Errno("chmod " + options_.staging_dir);
  auto pending = store_->PendingUploads();
  if (!pending.ok()) return pending.status();
  std::map<std::string, int64_t> needed;  // path -> size
  for (const auto& u : *pending) needed[u.staging_path] = u.size;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.staging_dir, ec)) {
    const std::string path = entry.path().string();
    auto it = needed.find(path);
    if (it == needed.end()) {
      // Left by a crash before its commit: close() never returned for it.
      GDMOUNT_LOG(kInfo) << "removing uncommitted staging file " << path;
      std::filesystem::remove(entry.path(), ec);
      continue;
    }
    staged_bytes_ += static_cast<int64_t>(entry.file_size(ec));
  }
  if (ec)
    return IoError("cannot scan " + options_.staging_dir + ": " + ec.message());
  for (const auto& u : *pending) {
    if (!std::filesystem::exists(u.staging_path, ec)) {
      GDMOUNT_LOG(kError) << "journaled upload of " << u.name << " (" << u.id
                          << ") lost its staging file " << u.staging_path;
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<StagedFile>> WriteBack::AttachLocked(
    const std::string& id, const std::string& path, bool fresh) {
  auto it = files_.find(id);
  if (it != files_.end()) {
    ++it->second->users_;
    return it->second;
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open staging file " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Errno("stat " + path);
    ::close(fd);
    return s;
  }
  auto f = std::shared_ptr<StagedFile>(new StagedFile(id, path, fd));
  f->changed_at_ = ++change_clock_;
  f->size_ = fresh ? 0 : st.st_size;
  f->accounted_ = f->size_;
  if (fresh && st.st_size > 0) {
    if (::ftruncate(fd, 0) != 0) {
      Status s = Errno("truncate " + path);
      ::close(fd);
      return s;
    }
    staged_bytes_ -= st.st_size;
  }
  f->users_ = 1;
  files_[id] = f;
  return f;
}

Result<std::shared_ptr<StagedFile>> WriteBack::OpenWrite(const meta::Entry& e,
                                                         const FileKey& key,
                                                         bool truncate) {
  std::shared_ptr<StagedFile> f;
  bool copy_here = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto journaled = store_->GetUpload(e.id);
    if (!journaled.ok()) return journaled.status();
    bool staged = files_.count(e.id) != 0 || journaled->has_value();
    auto attached = AttachLocked(e.id, PathOf(e.id), /*fresh=*/!staged);
    if (!attached.ok()) return attached.status();
    f = *attached;
    ++f->writers_;
    std::lock_guard<std::mutex> file_lock(f->mu_);
    if (journaled->has_value()) f->journaled_ = true;
    if (!staged) {
      // First write since Drive's version: remember what it was.
      f->base_version_ = e.version;
      f->base_md5_ = e.md5;
      f->create_ = false;
      // A new StagedFile: this opener copies Drive's content in.
      copy_here = !truncate && e.size.value_or(0) > 0;
      f->copying_ = copy_here;
    } else if (journaled->has_value() && f->users_ == 1) {
      // Staged by an earlier run: the journal knows the base.
      f->base_version_ = (*journaled)->base_version;
      f->base_md5_ = (*journaled)->base_md5;
      f->create_ = (*journaled)->create;
    }
  }
  Status s;
  if (copy_here) {
    s = CopyIn(*f, key);
    std::lock_guard<std::mutex> lock(mu_);
    {
      std::lock_guard<std::mutex> file_lock(f->mu_);
      if (!s.ok()) {
        f->copy_failed_ = true;  // waiting openers must not use it
        f->dirty_ = false;       // a partial copy is not content to keep
      }
      f->copying_ = false;
    }
    f->copied_.notify_all();
    if (!s.ok()) {
      // The next open starts over with a StagedFile of its own.
      auto it = files_.find(e.id);
      if (it != files_.end() && it->second == f) files_.erase(it);
    }
  } else {
    std::unique_lock<std::mutex> file_lock(f->mu_);
    s = AwaitCopy(*f, file_lock);
  }
  if (s.ok() && truncate) s = Truncate(*f, 0);
  if (!s.ok()) {
    Close(f, /*writer=*/true);
    return s;
  }
  return f;
}

Result<std::shared_ptr<StagedFile>> WriteBack::Create(const meta::Entry& e) {
  std::lock_guard<std::mutex> lock(mu_);
  auto attached = AttachLocked(e.id, PathOf(e.id), /*fresh=*/true);
  if (!attached.ok()) return attached.status();
  std::shared_ptr<StagedFile> f = *attached;
  ++f->writers_;
  std::lock_guard<std::mutex> file_lock(f->mu_);
  f->create_ = true;
  f->dirty_ = true;  // even empty, it must reach Drive
  return f;
}

Result<std::shared_ptr<StagedFile>> WriteBack::OpenRead(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it != files_.end()) {
    ++it->second->users_;
    return it->second;
  }
  auto journaled = store_->GetUpload(id);
  if (!journaled.ok()) return journaled.status();
  if (!journaled->has_value()) return std::shared_ptr<StagedFile>();
  auto attached = AttachLocked(id, (*journaled)->staging_path, /*fresh=*/false);
  if (!attached.ok()) return attached.status();
  std::lock_guard<std::mutex> file_lock((*attached)->mu_);
  (*attached)->journaled_ = true;
  (*attached)->base_version_ = (*journaled)->base_version;
  (*attached)->base_md5_ = (*journaled)->base_md5;
  (*attached)->create_ = (*journaled)->create;
  return attached;
}

void WriteBack::Close(const std::shared_ptr<StagedFile>& f, bool writer) {
  if (!f) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (writer) --f->writers_;
  if (--f->users_ > 0) return;
  bool keep;
  {
    std::lock_guard<std::mutex> file_lock(f->mu_);
    keep = (f->journaled_ || f->dirty_) && !f->copy_failed_;
    if (f->fd_ >= 0) ::close(f->fd_);
    f->fd_ = -1;
  }
  auto it = files_.find(f->id());
  const bool current = it != files_.end() && it->second == f;
  if (current) files_.erase(it);
  // A newer StagedFile of the id (after a failed copy) owns the path now.
  if (!keep && (current || files_.count(f->id()) == 0)) RemoveLocked(f->id());
}

void WriteBack::RemoveLocked(const std::string& id) {
  const std::string path = PathOf(id);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    staged_bytes_ -= st.st_size;
    ::unlink(path.c_str());
    room_.notify_all();
  }
}

Status WriteBack::CopyIn(StagedFile& f, const FileKey& key) {
  std::vector<char> buf(kCopyBlock);
  int64_t offset = 0;
  while (offset < key.size) {
    auto n = cache_->Read(key, offset, buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return IoError("content of " + key.id + " ended early");
    auto written = Write(f, offset, buf.data(), *n);
    if (!written.ok()) return written.status();
    offset += static_cast<int64_t>(*n);
  }
  std::lock_guard<std::mutex> lock(f.mu_);
  f.dirty_ = false;  // Drive has these bytes already
  return Status::Ok();
}

Status WriteBack::AwaitCopy(StagedFile& f, std::unique_lock<std::mutex>& lock) {
  f.copied_.wait(lock, [&] { return !f.copying_; });
  if (f.copy_failed_)
    return IoError("copying the Drive content of " + f.id() + " failed");
  return Status::Ok();
}

Result<size_t> WriteBack::Read(StagedFile& f, int64_t offset, char* buf,
                               size_t size) {
  std::unique_lock<std::mutex> lock(f.mu_);
  Status copied = AwaitCopy(f, lock);
  if (!copied.ok()) return copied;
  if (f.fd_ < 0) return IoError("staging file of " + f.id() + " is closed");
  if (offset >= f.size_) return size_t{0};
  size = static_cast<size_t>(
      std::min<int64_t>(static_cast<int64_t>(size), f.size_ - offset));
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(f.fd_, buf + done, size - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read staging file " + f.path_);
    if (n == 0) {  // a sparse tail extended by truncate reads as zeros
      std::memset(buf + done, 0, size - done);
      break;
    }
    done += static_cast<size_t>(n);
  }
  return size;
}

Status WriteBack::ReserveLocked(std::unique_lock<std::mutex>& lock,
                                int64_t more) {
  if (options_.staging_limit <= 0 || more <= 0) {
    staged_bytes_ += std::max<int64_t>(more, 0);
    return Status::Ok();
  }
  auto fits = [&] { return staged_bytes_ + more <= options_.staging_limit; };
  if (!fits() && more <= options_.staging_limit && options_.block_when_full) {
    GDMOUNT_LOG(kInfo) << "staging area full (" << staged_bytes_ << " of "
                       << options_.staging_limit
                       << " bytes); waiting for uploads";
    room_.wait_for(lock, options_.full_wait, fits);
  }
  if (!fits())
    return Status(StatusCode::kQuotaExceeded,
                  "staging area full: " + std::to_string(staged_bytes_) +
                      " of " + std::to_string(options_.staging_limit) +
                      " bytes waiting for upload (staging_limit)");
  staged_bytes_ += more;
  return Status::Ok();
}

Result<size_t> WriteBack::Write(StagedFile& f, int64_t offset, const char* buf,
                                size_t size) {
  if (offset < 0) return InvalidArgumentError("negative offset");
  const int64_t end = offset + static_cast<int64_t>(size);
  {
    // Growth is reserved before the bytes land, so the limit holds.
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t growth = std::max<int64_t>(0, end - f.accounted_);
    Status s = ReserveLocked(lock, growth);
    if (!s.ok()) return s;
    f.accounted_ = std::max(f.accounted_, end);
  }
  std::lock_guard<std::mutex> lock(f.mu_);
  if (f.fd_ < 0) return IoError("staging file of " + f.id() + " is closed");
  f.changed_at_ = ++change_clock_;
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(f.fd_, buf + done, size - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == ENOSPC)
        return Status(StatusCode::kQuotaExceeded,
                      "local disk full writing " + f.path_);
      return Errno("write staging file " + f.path_);
    }
    done += static_cast<size_t>(n);
  }
  f.size_ = std::max(f.size_, end);
  f.dirty_ = true;
  return size;
}

Status WriteBack::Truncate(StagedFile& f, int64_t size) {
  if (size < 0) return InvalidArgumentError("negative size");
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (size > f.accounted_) {
      Status s = ReserveLocked(lock, size - f.accounted_);
      if (!s.ok()) return s;
    } else {
      staged_bytes_ -= f.accounted_ - size;
      room_.notify_all();
    }
    f.accounted_ = size;
  }
  std::lock_guard<std::mutex> lock(f.mu_);
  if (f.fd_ < 0) return IoError("staging file of " + f.id() + " is closed");
  f.changed_at_ = ++change_clock_;
  if (::ftruncate(f.fd_, size) != 0) return Errno("truncate " + f.path_);
  f.size_ = size;
  f.dirty_ = true;
  return Status::Ok();
}

Result<int64_t> WriteBack::Commit(StagedFile& f, const meta::Entry& e,
                                  int64_t modified_ms) {
  meta::PendingUpload u;
  drive::DriveFile local;
  int64_t committed = 0;
  {
    std::lock_guard<std::mutex> lock(f.mu_);
    if (!f.dirty_) return int64_t{0};
    if (f.fd_ < 0) return IoError("staging file of " + f.id() + " is closed");
    // Durable before the journal points at it.
    if (::fdatasync(f.fd_) != 0) return Errno("fdatasync " + f.path_);
    util::Md5Hasher md5;
    std::vector<char> buf(kCopyBlock);
    for (int64_t off = 0; off < f.size_;) {
      ssize_t n = ::pread(
          f.fd_, buf.data(),
          static_cast<size_t>(std::min<int64_t>(buf.size(), f.size_ - off)),
          static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("read staging file " + f.path_);
      if (n == 0) {  // sparse tail: zeros
        std::fill(buf.begin(), buf.end(), 0);
        n = static_cast<ssize_t>(std::min<int64_t>(buf.size(), f.size_ - off));
      }
      md5.Update(buf.data(), static_cast<size_t>(n));
      off += n;
    }
    u.id = e.id;
    u.create = f.create_;
    u.parent_id = e.parent_id;
    u.name = e.name;
    u.mime_type = e.mime_type;
    u.staging_path = f.path_;
    u.size = f.size_;
    u.md5 = md5.FinishHex();
    u.modified_ms = modified_ms;
    u.base_version = f.base_version_;
    u.base_md5 = f.base_md5_;
    local = meta::FromEntry(e);
    local.size = u.size;
    local.md5 = u.md5;
    local.modified_ms = modified_ms;
    // Under the file's lock, so FinishUpload cannot slip in between reading
    // the base above and journaling it.
    auto generation = store_->CommitUpload(u, local);
    if (!generation.ok()) return generation.status();  // still dirty
    f.dirty_ = false;
    committed = *generation;
    GDMOUNT_LOG(kDebug) << "journaled " << e.name << " (" << e.id
                        << ") generation " << committed << ": " << u.size
                        << " bytes, md5 " << u.md5 << ", from md5 "
                        << u.base_md5 << (u.create ? ", new" : "");
  }
  std::lock_guard<std::mutex> lock(mu_);
  f.journaled_ = true;
  return committed;
}

Result<meta::MetadataStore::UploadOutcome> WriteBack::FinishUpload(
    const std::string& id, int64_t generation,
    const drive::DriveFile& uploaded) {
  auto outcome = RecordUpload(id, generation, uploaded);
  // The cached bytes of the versions this upload replaced will never be
  // read again: dropped now (no lock of ours held), not when the cache runs
  // out of room; a file rewritten every epoch would otherwise fill it with
  // its old versions.
  if (cache_ && outcome.ok() &&
      *outcome != meta::MetadataStore::UploadOutcome::kDropped)
    (void)cache_->Invalidate(id);
  return outcome;
}

Result<meta::MetadataStore::UploadOutcome> WriteBack::RecordUpload(
    const std::string& id, int64_t generation,
    const drive::DriveFile& uploaded) {
  using Outcome = meta::MetadataStore::UploadOutcome;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it == files_.end()) {
    auto outcome = store_->CompleteUpload(id, generation, uploaded);
    if (outcome.ok() && *outcome == Outcome::kDone) RemoveLocked(id);
    return outcome;
  }
  StagedFile& f = *it->second;
  std::lock_guard<std::mutex> file_lock(f.mu_);
  auto outcome = store_->CompleteUpload(id, generation, uploaded);
  if (!outcome.ok() || *outcome == Outcome::kDropped) return outcome;
  // Later edits build on what is on Drive now.
  f.create_ = false;
  f.base_version_ = uploaded.version;
  f.base_md5_ = uploaded.md5;
  if (*outcome == Outcome::kDone) f.journaled_ = false;
  return outcome;
}

Status WriteBack::Rebase(const std::string& id,
                         const drive::DriveFile& uploaded) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it == files_.end()) return store_->RebaseUpload(id, uploaded);
  StagedFile& f = *it->second;
  std::lock_guard<std::mutex> file_lock(f.mu_);
  Status s = store_->RebaseUpload(id, uploaded);
  if (!s.ok()) return s;
  f.create_ = false;
  f.base_version_ = uploaded.version;
  f.base_md5_ = uploaded.md5;
  return Status::Ok();
}

Status WriteBack::AdoptBase(const std::string& id,
                            const drive::DriveFile& remote) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it == files_.end())
    return store_->AdoptUploadBase(id, remote.version, remote.md5);
  StagedFile& f = *it->second;
  std::lock_guard<std::mutex> file_lock(f.mu_);
  Status s = store_->AdoptUploadBase(id, remote.version, remote.md5);
  if (!s.ok()) return s;
  f.base_version_ = remote.version;
  f.base_md5_ = remote.md5;
  return Status::Ok();
}

Status WriteBack::Discard(const std::string& id,
                          std::optional<meta::PendingUpload>* dropped) {
  Status s = store_->DropUpload(id, dropped);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it != files_.end()) {
    std::lock_guard<std::mutex> file_lock(it->second->mu_);
    it->second->journaled_ = false;
    it->second->dirty_ = false;
    // Open handles keep their fd: POSIX lets them use an unlinked file.
  }
  RemoveLocked(id);
  return s;
}

bool WriteBack::HasWriters(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  return it != files_.end() && it->second->writers_ > 0;
}

uint64_t WriteBack::ChangeStamp(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  return it == files_.end() ? 0 : it->second->changed_at_.load();
}

std::optional<int64_t> WriteBack::StagedSize(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(id);
  if (it == files_.end()) return std::nullopt;
  return it->second->size();
}

int64_t WriteBack::staged_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return staged_bytes_;
}

}  // namespace gdmount::cache
