// Filesystem: the write operations (see the design note in filesystem.h).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "gdmount/log.h"
#include "vfs/filesystem.h"

namespace gdmount::vfs {
namespace {

constexpr const char* kOctetStream = "application/octet-stream";

// No bytes: the content of a symlink's file.
class EmptyContent : public drive::ContentSource {
 public:
  int64_t size() const override { return 0; }
  Status ReadAt(int64_t, char*, size_t n) const override {
    return n == 0 ? Status::Ok() : InvalidArgumentError("empty content");
  }
};

// How long a removal waits for an upload of the same file to stop: one
// reading its staging file stops at once, one in a metadata call (retried
// under faults) may take longer; past this the removal goes on without
// the hold.
constexpr std::chrono::seconds kUploadStopWait{5};

// RemoveChild's hold on a file's uploads (Uploader::Hold), released
// however the removal ends. Without an uploader nothing uploads: held.
class UploadHold {
 public:
  UploadHold(cache::Uploader* uploader, std::string id)
      : uploader_(uploader),
        id_(std::move(id)),
        held_(!uploader_ || uploader_->Hold(id_, kUploadStopWait)) {}
  ~UploadHold() {
    if (uploader_ && held_) uploader_->Release(id_);
  }
  UploadHold(const UploadHold&) = delete;
  UploadHold& operator=(const UploadHold&) = delete;
  bool held() const { return held_; }

 private:
  cache::Uploader* const uploader_;
  const std::string id_;
  const bool held_;
};

Status ReadOnlyMount() {
  return Status(StatusCode::kReadOnly, "the mount is read-only");
}

// Names the kernel may hand us that Drive should not get.
Status CheckName(const std::string& name) {
  if (name.empty() || name == "." || name == "..")
    return InvalidArgumentError("invalid name \"" + name + "\"");
  if (name.size() > kMaxNameBytes)
    return Status(StatusCode::kInvalidArgument, "name too long");
  if (name.find('/') != std::string::npos)
    return InvalidArgumentError("name with '/'");
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<Filesystem::Handle>> Filesystem::HandleOf(uint64_t fh) {
  std::lock_guard<std::mutex> lock(handles_mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return InvalidArgumentError("bad file handle");
  return it->second;
}

uint64_t Filesystem::AddHandle(std::shared_ptr<Handle> h) {
  std::lock_guard<std::mutex> lock(handles_mu_);
  uint64_t fh = next_fh_++;
  handles_[fh] = std::move(h);
  return fh;
}

Result<meta::Entry> Filesystem::FolderFor(uint64_t parent,
                                          const std::string& name) {
  if (!write_back_) return ReadOnlyMount();
  Status valid = CheckName(name);
  if (!valid.ok()) return valid;
  auto dir = EntryOf(parent);
  if (!dir.ok()) return dir.status();
  if (!dir->is_folder())
    return Status(StatusCode::kNotDirectory, dir->name + " is not a folder");
  if (dir->id.empty() || dir->id[0] == '.')  // .Trash, .shared
    return Status(StatusCode::kReadOnly, dir->name + " is read-only");
  if (dir->trashed)
    return Status(StatusCode::kReadOnly, dir->name + " is in the trash");
  return std::move(*dir);
}

Status Filesystem::CommitStaged(cache::StagedFile& staged,
                                const std::string& id) {
  auto e = store_->Get(id);
  if (!e.ok()) return e.status();
  if (!e->has_value()) return Status::Ok();  // deleted meanwhile: nothing
  auto generation = write_back_->Commit(staged, **e, UnixMillis(clock_));
  if (!generation.ok()) {
    GDMOUNT_LOG(kError) << "could not journal " << (*e)->name << " (" << id
                        << "): " << generation.status().ToString();
    return generation.status();
  }
  if (*generation > 0) {
    // The local entry changed (size, md5): show it. ShowStored reads it
    // from the store; a rename since shows it in its new folder itself.
    tree_->ShowStored((*e)->parent_id, {id});
    if (uploader_) uploader_->Kick();
  }
  return Status::Ok();
}

Status Filesystem::NameFree(const std::string& folder_id,
                            const std::string& name) {
  auto existing = tree_->Lookup(folder_id, name);
  if (!existing.ok()) return existing.status();
  if (existing->has_value())
    return Status(StatusCode::kAlreadyExists, name + " exists");
  return Status::Ok();
}

Result<Attr> Filesystem::Adopt(const std::string& folder_id,
                               const drive::DriveFile& created) {
  Status s = store_->Upsert({created});
  if (!s.ok()) return s;
  auto entry = store_->Get(created.id);
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) return InternalError("new item not stored");
  tree_->ShowStored(folder_id, {created.id});
  inodes_.Ref((*entry)->ino, created.id);  // the kernel's, from the reply
  return AttrOf(**entry);
}

Result<size_t> Filesystem::Write(uint64_t fh, int64_t offset, const char* buf,
                                 size_t size) {
  auto h = HandleOf(fh);
  if (!h.ok()) return h.status();
  if (!(*h)->writable || !(*h)->staged)
    return InvalidArgumentError("handle not open for writing");
  if (offset < 0) return InvalidArgumentError("negative offset");
  if ((*h)->append) offset = (*h)->staged->size();
  if (static_cast<uint64_t>(offset) + size > static_cast<uint64_t>(INT64_MAX))
    return Status(StatusCode::kFileTooLarge, "write past the largest offset");
  const int64_t end = offset + static_cast<int64_t>(size);
  if (end > (*h)->staged->size()) {
    // Measured from the stored size, not the staged one: a large write
    // arrives as many FUSE writes, each growing the file a little.
    Status s = CheckGrowth((*h)->stored_size, end);
    if (!s.ok()) return s;
  }
  return write_back_->Write(*(*h)->staged, offset, buf, size);
}

Status Filesystem::Flush(uint64_t fh) {
  auto h = HandleOf(fh);
  if (!h.ok()) return h.status();
  if (!(*h)->staged || !(*h)->staged->dirty()) return Status::Ok();
  return CommitStaged(*(*h)->staged, (*h)->id);
}

Status Filesystem::Fsync(uint64_t fh) {
  Status flushed = Flush(fh);
  if (!flushed.ok()) return flushed;
  auto h = HandleOf(fh);
  if (!h.ok()) return h.status();
  if (!(*h)->staged || !uploader_) return Status::Ok();
  Status s = uploader_->WaitFor((*h)->id, options_.fsync_timeout);
  if (!s.ok()) {
    GDMOUNT_LOG(kWarning) << "fsync of " << (*h)->id
                          << ": not on Drive: " << s.ToString();
  }
  // Transient failures are retried in the background; fsync says so now.
  if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kIo ||
      s.code() == StatusCode::kRateLimited ||
      s.code() == StatusCode::kCorruption)
    return IoError(s.message());
  return s;
}

Result<Attr> Filesystem::Create(uint64_t parent, const std::string& name,
                                int flags, OpenFile* opened) {
  auto folder = FolderFor(parent, name);
  if (!folder.ok()) return folder.status();
  if (Status free = NameFree(folder->id, name); !free.ok()) return free;
  // The Drive id now, so the journal, inode and later edits share it and
  // the upload's create is idempotent.
  auto id = client_->GenerateId();
  if (!id.ok()) return id.status();
  drive::DriveFile f;
  f.id = *id;
  f.name = name;
  f.mime_type = kOctetStream;
  f.parents = {folder->id};
  f.size = 0;
  f.created_ms = f.modified_ms = UnixMillis(clock_);
  f.drive_id = folder->drive_id;
  f.capabilities = drive::Capabilities();
  f.capabilities->can_edit = true;
  auto entry = store_->PutLocal(f, folder->id);
  if (!entry.ok()) return entry.status();
  auto staged = write_back_->Create(*entry);
  if (!staged.ok()) {
    (void)store_->Remove(*id);
    return staged.status();
  }
  // Journaled at once: even an empty file must reach Drive, and a journaled
  // entry survives a re-listing of its folder.
  Status committed = CommitStaged(**staged, *id);
  if (!committed.ok()) {
    write_back_->Close(*staged, /*writer=*/true);
    (void)write_back_->Discard(*id);
    (void)store_->Remove(*id);
    return committed;
  }
  tree_->ShowStored(folder->id, {*id});
  auto h = std::make_shared<Handle>(options_.read_ahead);
  h->ino = entry->ino;
  h->id = *id;
  h->staged = *staged;
  h->staged_writer = true;
  h->writable = (flags & O_ACCMODE) != O_RDONLY;
  h->append = (flags & O_APPEND) != 0;
  inodes_.Ref(entry->ino, *id);  // the kernel's reference from create
  inodes_.OpenHandle(entry->ino);
  opened->fh = AddHandle(std::move(h));
  return AttrOf(*entry);
}

Result<Attr> Filesystem::Mknod(uint64_t parent, const std::string& name,
                               mode_t mode) {
  if (!S_ISREG(mode))
    return Status(StatusCode::kNotSupported,
                  "Drive holds only regular files, folders and shortcuts");
  OpenFile opened;
  auto a = Create(parent, name, O_WRONLY, &opened);
  if (!a.ok()) return a.status();
  Release(opened.fh);
  return a;
}

Result<Attr> Filesystem::Mkdir(uint64_t parent, const std::string& name) {
  auto folder = FolderFor(parent, name);
  if (!folder.ok()) return folder.status();
  if (Status free = NameFree(folder->id, name); !free.ok()) return free;
  auto created = client_->CreateFolder(folder->id, name);
  if (!created.ok()) return created.status();
  // Empty by construction: no listing needed to know it.
  Status listed = store_->ReplaceChildren(created->id, {}, UnixMillis(clock_));
  if (!listed.ok()) return listed;
  return Adopt(folder->id, *created);
}

Status Filesystem::EmptyOnDrive(const meta::Entry& folder) {
  auto children = client_->ListChildren(folder.id, folder.drive_id);
  if (!children.ok()) return children.status();
  for (const drive::DriveFile& c : *children) {
    // Deleted here, and still on Drive only because its create was in
    // flight (the uploader removes it when that ends): it goes with the
    // folder.
    if (store_->RemovedHere(c.id)) continue;
    auto row = store_->GetUpload(c.id);
    if (!row.ok()) return row.status();
    if (!row->has_value() || (*row)->parent_id == folder.id ||
        (*row)->parent_id.empty())
      return Status(StatusCode::kNotEmpty,
                    folder.name + " is not empty on Drive (" + c.name + ")");
    drive::FileMetadata patch;
    patch.name = (*row)->name;
    auto moved = client_->Update(c.id, patch, (*row)->parent_id, folder.id);
    if (moved.ok()) continue;
    // The uploader may have moved it meanwhile.
    auto now = client_->GetFile(c.id);
    if (!now.ok()) return moved.status();
    if (std::find(now->parents.begin(), now->parents.end(), folder.id) !=
        now->parents.end())
      return moved.status();
  }
  return Status::Ok();
}

Status Filesystem::RemoveChild(const meta::Entry& folder, const Child& child) {
  const meta::Entry& e = child.entry;
  if (e.is_folder()) {
    Status empty = EmptyOnDrive(e);
    if (!empty.ok()) return empty;
  }
  auto remove_on_drive = [&]() -> Status {
    Status gone = options_.delete_permanently ? client_->Delete(e.id)
                                              : client_->Trash(e.id).status();
    // Already gone from Drive (or never got there) is what we wanted.
    if (!gone.ok() && gone.code() != StatusCode::kNotFound) return gone;
    return Status::Ok();
  };
  // A create never sent has nothing on Drive. One that an attempt sent
  // (sent_md5 is marked before any byte goes out) may be there although no
  // answer said so (lost, or the daemon died): removed like any file.
  auto on_drive = [](const std::optional<meta::PendingUpload>& row) {
    return !row || !row->create || !row->sent_md5.empty();
  };
  std::optional<meta::PendingUpload> dropped;
  UploadHold hold(uploader_, e.id);
  if (hold.held()) {
    // No attempt sends the file until the hold ends: Drive is asked first,
    // and the journal row dropped only once Drive agreed. Refused (no
    // permission, Drive unreachable), the file and its journaled bytes stay
    // as they were.
    auto row = store_->GetUpload(e.id);
    if (!row.ok()) return row.status();
    if (on_drive(*row)) {
      Status s = remove_on_drive();
      if (!s.ok()) return s;
    }
    Status s = write_back_->Discard(e.id, &dropped);
    if (!s.ok()) return s;
  } else {
    // An attempt sending it did not stop in time (it was in a metadata
    // call retried under faults). The journal first: once the row is gone,
    // that upload knows the file was deleted here (and is not resurrected),
    // rather than taking the trashing below for someone else's change. The
    // row as dropped says whether Drive has the file: read before, an
    // upload finishing in between would leave its file on Drive untrashed.
    // One being sent now may land after this: the uploader removes what it
    // made. (A refusal from Drive here loses the journaled bytes: the
    // upload in flight may still deliver them, or not.)
    Status s = write_back_->Discard(e.id, &dropped);
    if (!s.ok()) return s;
    if (on_drive(dropped)) {
      s = remove_on_drive();
      if (!s.ok()) return s;
    }
  }
  const bool was_create = dropped && dropped->create;
  // Until a create in flight is settled, nothing Drive says brings the
  // file back.
  Status s = store_->Remove(e.id, /*drive_may_gain=*/was_create);
  if (!s.ok()) return s;
  if (was_create) {
    if (uploader_)
      uploader_->SettleRemovalWhenIdle(e.id);
    else
      store_->SettleRemoval(e.id);
  }
  (void)cache_->Invalidate(e.id);
  tree_->ShowStored(folder.id, {e.id});
  if (e.is_folder()) tree_->Forget(e.id);
  return Status::Ok();
}

Status Filesystem::Unlink(uint64_t parent, const std::string& name) {
  auto folder = FolderFor(parent, name);
  if (!folder.ok()) return folder.status();
  auto child = tree_->Lookup(folder->id, name);
  if (!child.ok()) return child.status();
  if (!child->has_value()) return NotFoundError(name);
  if ((*child)->entry.is_folder())
    return Status(StatusCode::kIsDirectory, name + " is a folder");
  return RemoveChild(*folder, **child);
}

Status Filesystem::Rmdir(uint64_t parent, const std::string& name) {
  auto folder = FolderFor(parent, name);
  if (!folder.ok()) return folder.status();
  auto child = tree_->Lookup(folder->id, name);
  if (!child.ok()) return child.status();
  if (!child->has_value()) return NotFoundError(name);
  if (!(*child)->entry.is_folder())
    return Status(StatusCode::kNotDirectory, name + " is not a folder");
  auto children = tree_->ListShared((*child)->entry.id);
  if (!children.ok()) return children.status();
  if (!(*children)->empty())
    return Status(StatusCode::kNotEmpty, name + " is not empty");
  return RemoveChild(*folder, **child);
}

Status Filesystem::Rename(uint64_t parent, const std::string& name,
                          uint64_t new_parent, const std::string& new_name,
                          bool noreplace) {
  auto from = FolderFor(parent, name);
  if (!from.ok()) return from.status();
  auto to = FolderFor(new_parent, new_name);
  if (!to.ok()) return to.status();
  auto child = tree_->Lookup(from->id, name);
  if (!child.ok()) return child.status();
  if (!child->has_value()) return NotFoundError(name);
  const meta::Entry src = (*child)->entry;
  if (from->id == to->id && name == new_name) return Status::Ok();
  if (src.is_folder()) {
    // Not into itself or below it.
    auto path = tree_->PathOf(to->id);
    auto self = tree_->PathOf(src.id);
    if (path.ok() && self.ok() && path->size() >= self->size() &&
        std::equal(self->begin(), self->end(), path->begin()))
      return InvalidArgumentError("cannot move a folder into itself");
  }
  auto target = tree_->Lookup(to->id, new_name);
  if (!target.ok()) return target.status();
  if (target->has_value()) {
    const meta::Entry& t = (*target)->entry;
    if (t.id == src.id) return Status::Ok();
    if (noreplace) return Status(StatusCode::kAlreadyExists, new_name);
    if (t.is_folder() && !src.is_folder())
      return Status(StatusCode::kIsDirectory, new_name + " is a folder");
    if (!t.is_folder() && src.is_folder())
      return Status(StatusCode::kNotDirectory, new_name + " is not a folder");
    if (t.is_folder()) {
      auto children = tree_->ListShared(t.id);
      if (!children.ok()) return children.status();
      if (!(*children)->empty())
        return Status(StatusCode::kNotEmpty, new_name + " is not empty");
    }
    Status replaced = RemoveChild(*to, **target);
    if (!replaced.ok()) return replaced;
  }
  // Journaled: the uploader moves it, after (or with) the content, from
  // wherever Drive has it then. Moving it here instead would name the
  // local parent as the one to remove, and that is not Drive's while an
  // earlier move is still journaled (Drive answers cannotAddParent). The
  // new generation makes an upload in flight be followed by the move.
  auto journaled = store_->MoveUpload(src.id, to->id, new_name);
  if (!journaled.ok()) return journaled.status();
  if (!journaled->has_value()) {
    // Not journaled (or its upload finished just now): Drive has it where
    // the store says.
    auto updated = MoveOnDrive(src.id, from->id, to->id, new_name);
    if (!updated.ok()) return updated.status();
    Status s = store_->Upsert({*updated});
    if (!s.ok()) return s;
  }
  tree_->ShowStored(from->id, {src.id});
  if (to->id != from->id) tree_->ShowStored(to->id, {src.id});
  if (uploader_) uploader_->Kick();
  return Status::Ok();
}

Result<drive::DriveFile> Filesystem::MoveOnDrive(const std::string& id,
                                                 const std::string& from_id,
                                                 const std::string& to_id,
                                                 const std::string& new_name) {
  drive::FileMetadata patch;
  patch.name = new_name;
  const bool move = to_id != from_id;
  auto updated =
      client_->Update(id, patch, move ? to_id : "", move ? from_id : "");
  if (updated.ok()) return updated;
  // Drive should have it where this mount shows it, but a request whose
  // answer was lost (a reset after Drive applied it) leaves the two apart:
  // this very move may be done, or an earlier one this mount never heard
  // of put the file elsewhere (then removeParents names the wrong folder
  // and Drive answers cannotAddParent). Drive says where the file is.
  auto now = client_->GetFile(id);
  if (!now.ok() || now->trashed) return updated.status();
  const std::string parent = now->parents.empty() ? "" : now->parents[0];
  if (now->name == new_name && parent == to_id) return now;
  if (updated.status().code() != StatusCode::kInvalidArgument ||
      parent.empty() || parent == from_id)
    return updated.status();
  GDMOUNT_LOG(kInfo) << "moving " << id << ": Drive has it in " << parent
                     << ", not " << from_id << "; moving it from there";
  return client_->Update(id, patch, parent != to_id ? to_id : "",
                         parent != to_id ? parent : "");
}

Result<Attr> Filesystem::Symlink(const std::string& target, uint64_t parent,
                                 const std::string& name) {
  auto folder = FolderFor(parent, name);
  if (!folder.ok()) return folder.status();
  if (Status free = NameFree(folder->id, name); !free.ok()) return free;
  if (target.empty()) return InvalidArgumentError("empty symlink target");
  auto inside = ResolveInside(folder->id, target);
  if (!inside.ok()) return inside.status();
  Result<drive::DriveFile> created = Status(StatusCode::kInternal, "unset");
  if (!inside->empty()) {
    created = client_->CreateShortcut(folder->id, name, *inside);
  } else {
    // Outside the mount (or absolute, or dangling): a small file whose
    // appProperties hold the target, as google-drive-ocamlfuse stores
    // symlinks. Drive allows 124 bytes per property, key included.
    constexpr size_t kMaxTarget = 124 - 11;  // strlen("link_target")
    if (target.size() > kMaxTarget)
      return InvalidArgumentError("symlink target longer than " +
                                  std::to_string(kMaxTarget) +
                                  " bytes cannot be stored on Drive");
    drive::FileMetadata md;
    md.name = name;
    md.parent_id = folder->id;
    md.mime_type = kOctetStream;
    md.app_properties[meta::kLinkTargetProperty] = target;
    // Uploaded (empty), not created from metadata alone: then Drive gives
    // it a size and md5 like any file.
    created = client_->Upload("", md, EmptyContent());
  }
  if (!created.ok()) return created.status();
  return Adopt(folder->id, *created);
}

// The id that `target` (relative to folder `from`) names inside the mount
// through folders only; "" when it is absolute, leaves the mount, or does
// not name an item.
Result<std::string> Filesystem::ResolveInside(const std::string& from,
                                              const std::string& target) {
  if (target[0] == '/') return std::string();
  std::string at = from;
  size_t start = 0;
  bool last = false;
  while (!last) {
    size_t end = target.find('/', start);
    if (end == std::string::npos) end = target.size();
    last = end >= target.size();
    std::string part = target.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      auto e = store_->Get(at);
      if (!e.ok()) return e.status();
      if (!e->has_value() || (*e)->parent_id.empty() || at == tree_->root_id())
        return std::string();  // above the root
      at = (*e)->parent_id;
      continue;
    }
    if (!store_->Get(at).ok()) return std::string();
    auto child = tree_->Lookup(at, part);
    if (!child.ok()) return child.status();
    if (!child->has_value()) return std::string();
    // Only folders lead further; the last part may be anything.
    if (!last && !(*child)->entry.is_folder()) return std::string();
    at = (*child)->entry.id;
  }
  return at == from ? std::string() : at;
}

Status Filesystem::SetOwnerAndMode(const meta::Entry& e,
                                   const SetAttrRequest& req) {
  meta::Entry changed = e;
  if (req.mode) changed.mode = *req.mode & 07777;
  if (req.uid) changed.uid = *req.uid;
  if (req.gid) changed.gid = *req.gid;
  drive::DriveFile local = meta::FromEntry(changed);
  auto pending = store_->GetUpload(e.id);
  if (!pending.ok()) return pending.status();
  if (pending->has_value() && (*pending)->create) {
    // Not yet on Drive: its create (or, if that is in flight, the
    // uploader after it) carries them, unless it finished just now.
    auto kept = store_->PutLocalIfJournaled(local, e.parent_id);
    if (!kept.ok() || *kept) return kept.status();
    pending->reset();
  }
  // On Drive: set there now.
  drive::FileMetadata patch;
  for (const auto& [key, value] : local.app_properties)
    patch.app_properties[key] = value;
  auto updated = client_->Update(e.id, patch);
  if (!updated.ok()) return updated.status();
  if (!pending->has_value()) return store_->Upsert({*updated});
  // Journaled content: the local entry stays the truth until uploaded.
  return store_->PutLocal(local, e.parent_id).status();
}

Result<Attr> Filesystem::SetAttr(uint64_t ino, const SetAttrRequest& req,
                                 uint64_t fh) {
  auto e = EntryOf(ino);
  if (!e.ok()) return e.status();
  if (!req.size && !req.mtime_ms && !req.mode && !req.uid && !req.gid)
    return AttrOf(*e);
  if (!write_back_) return ReadOnlyMount();
  if (e->is_folder() && req.size)
    return Status(StatusCode::kIsDirectory, e->name + " is a folder");
  if (e->is_native())
    return Status(StatusCode::kPermissionDenied,
                  e->name + " is a Google Docs file: read-only here");
  if (req.size) {
    if (*req.size < 0) return InvalidArgumentError("negative size");
    Status grow = CheckGrowth(e->size.value_or(0), *req.size);
    if (!grow.ok()) return grow;
    std::shared_ptr<Handle> h;
    if (fh != 0) {
      auto found = HandleOf(fh);
      if (found.ok() && (*found)->staged && (*found)->writable) h = *found;
    }
    if (h) {
      // ftruncate: committed with the handle's other writes.
      Status s = write_back_->Truncate(*h->staged, *req.size);
      if (!s.ok()) return s;
    } else {
      // truncate(2) by path: durable now, like a write and close.
      auto staged = write_back_->OpenWrite(*e, KeyOf(*e), *req.size == 0);
      if (!staged.ok()) return staged.status();
      Status s = write_back_->Truncate(**staged, *req.size);
      if (s.ok()) s = CommitStaged(**staged, e->id);
      write_back_->Close(*staged, /*writer=*/true);
      if (!s.ok()) return s;
    }
  }
  if (req.mtime_ms) {
    // Journaled content: the upload carries the time (rsync -t, tar and
    // cp -p set it after writing). Once uploaded, Drive is told.
    auto now = EntryOf(ino);
    if (!now.ok()) return now.status();
    drive::DriveFile local = meta::FromEntry(*now);
    local.modified_ms = *req.mtime_ms;
    auto journaled = store_->PutLocalIfJournaled(local, now->parent_id);
    if (!journaled.ok()) return journaled.status();
    if (!*journaled) {
      drive::FileMetadata patch;
      patch.modified_ms = *req.mtime_ms;
      auto updated = client_->Update(e->id, patch);
      if (!updated.ok()) return updated.status();
      Status s = store_->Upsert({*updated});
      if (!s.ok()) return s;
    }
  }
  if (req.mode || req.uid || req.gid) {
    Status s = SetOwnerAndMode(*e, req);
    if (!s.ok()) return s;
  }
  auto now = EntryOf(ino);
  if (!now.ok()) return now.status();
  tree_->ShowStored(now->parent_id, {now->id});
  Attr a = AttrOf(*now);
  if (fh != 0) {
    auto found = HandleOf(fh);
    if (found.ok() && (*found)->staged) a.size = (*found)->staged->size();
  }
  return a;
}

}  // namespace gdmount::vfs
