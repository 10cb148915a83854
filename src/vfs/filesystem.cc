#include "vfs/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "gdmount/log.h"

namespace gdmount::vfs {
namespace {

// Collects an export for the handle that will serve it.
class StringSink : public BodySink {
 public:
  Status Write(const char* d, size_t n) override {
    data.append(d, n);
    return Status::Ok();
  }
  std::string data;
};

}  // namespace

cache::FileKey KeyOf(const meta::Entry& e) {
  cache::FileKey k;
  k.id = e.id;
  k.version = !e.md5.empty()                ? e.md5
              : !e.head_revision_id.empty() ? e.head_revision_id
                                            : std::to_string(e.version);
  k.size = e.size.value_or(0);
  k.md5 = e.md5;
  return k;
}

Filesystem::Filesystem(Tree* tree, meta::MetadataStore* store,
                       cache::ContentCache* cache, drive::DriveClient* client,
                       FsOptions options, Clock* clock,
                       cache::WriteBack* write_back, cache::Uploader* uploader)
    : tree_(tree),
      store_(store),
      cache_(cache),
      client_(client),
      options_(options),
      clock_(clock),
      write_back_(write_back),
      uploader_(uploader),
      inodes_(tree->root_id()) {}

Result<meta::Entry> Filesystem::EntryOf(uint64_t ino) {
  auto e = ino == kRootIno ? store_->Root() : store_->GetByIno(ino);
  if (!e.ok()) return e.status();
  if (!e->has_value())
    return NotFoundError("no entry for inode " + std::to_string(ino));
  return std::move(**e);
}

Attr Filesystem::AttrOf(const meta::Entry& e) const {
  Attr a;
  a.ino = e.ino;
  a.uid = e.uid.value_or(options_.uid);
  a.gid = e.gid.value_or(options_.gid);
  a.mtime_ms = e.modified_ms;
  a.ctime_ms = e.modified_ms;
  // Write bits only where writes are possible: a writable mount, an
  // editable item, not a Google-native file (read as an export), not the
  // virtual folders.
  const bool writable = write_back_ != nullptr && e.can_edit &&
                        !e.is_native() && !e.trashed &&
                        (e.id.empty() || e.id[0] != '.');
  // A mode stored by chmod wins over the defaults, but never grants writes
  // where there can be none.
  auto bits = [&](mode_t defaults) -> mode_t {
    if (!e.mode) return defaults & ~options_.umask;
    return static_cast<mode_t>(*e.mode) & (writable ? 07777 : 07555);
  };
  if (e.is_folder()) {
    a.mode = S_IFDIR | bits(writable ? 0755 : 0555);
    a.nlink = 2;
  } else if (e.is_shortcut()) {
    a.mode = S_IFLNK | 0777;
  } else if (e.is_symlink()) {
    a.mode = S_IFLNK | 0777;
    a.size = static_cast<int64_t>(e.link_target.size());
  } else {
    a.mode = S_IFREG | bits(writable ? 0644 : 0444);
    a.size = e.size.value_or(0);
    // Being written: the staged size, before the next commit.
    if (write_back_) {
      if (auto staged = write_back_->StagedSize(e.id)) a.size = *staged;
    }
  }
  return a;
}

Result<Attr> Filesystem::Lookup(uint64_t parent, const std::string& name) {
  auto dir = EntryOf(parent);
  if (!dir.ok()) return dir.status();
  if (!dir->is_folder())
    return InvalidArgumentError("lookup in a file, not a directory");
  auto child = tree_->Lookup(dir->id, name);
  if (!child.ok()) return child.status();
  if (!child->has_value()) return NotFoundError(name);
  Attr a = AttrOf((*child)->entry);
  inodes_.Ref(a.ino, (*child)->entry.id);
  return a;
}

Result<Attr> Filesystem::GetAttr(uint64_t ino) {
  auto e = EntryOf(ino);
  if (!e.ok()) return e.status();
  return AttrOf(*e);
}

Result<std::shared_ptr<const std::vector<Child>>> Filesystem::ReadDir(
    uint64_t ino) {
  auto dir = EntryOf(ino);
  if (!dir.ok()) return dir.status();
  if (!dir->is_folder()) return InvalidArgumentError("not a directory");
  return tree_->ListShared(dir->id);
}

uint64_t Filesystem::ParentIno(uint64_t ino) {
  auto e = EntryOf(ino);
  if (!e.ok() || e->parent_id.empty()) return kRootIno;
  auto parent = store_->Get(e->parent_id);
  if (!parent.ok() || !parent->has_value()) return kRootIno;
  return (*parent)->ino;
}

void Filesystem::Remember(uint64_t ino, const std::string& id) {
  inodes_.Ref(ino, id);
}

void Filesystem::Forget(uint64_t ino, uint64_t n) {
  if (!inodes_.Forget(ino, n)) return;
  // The kernel dropped the inode, and its pages with it: nothing left for
  // keep_cache to decide on. (Else this map grows with every file ever
  // opened: a dataset of a million files read once.)
  std::lock_guard<std::mutex> lock(handles_mu_);
  opened_version_.erase(ino);
}

Result<std::string> Filesystem::ExportOf(const meta::Entry& e) {
  auto format = tree_->exports().find(e.mime_type);
  if (format == tree_->exports().end())
    return Status(StatusCode::kNotSupported,
                  "no export format for " + e.mime_type);
  StringSink sink;
  auto n = client_->Export(e.id, format->second.mime_type, sink);
  if (!n.ok()) return n.status();
  return std::move(sink.data);
}

Result<std::string> Filesystem::ReadLink(uint64_t ino) {
  auto e = EntryOf(ino);
  if (!e.ok()) return e.status();
  if (e->is_symlink()) return e->link_target;
  if (!e->is_shortcut()) return InvalidArgumentError("not a shortcut");
  if (e->shortcut_target_id.empty())
    return NotFoundError("shortcut " + e->id + " has no target");
  auto target = tree_->PathOf(e->shortcut_target_id);
  if (!target.ok()) return target.status();
  auto self = tree_->PathOf(e->id);
  if (!self.ok()) return self.status();
  self->pop_back();  // the shortcut's folder
  size_t common = 0;
  while (common < self->size() && common < target->size() &&
         (*self)[common] == (*target)[common])
    ++common;
  std::string link;
  for (size_t i = common; i < self->size(); ++i) link += "../";
  for (size_t i = common; i < target->size(); ++i)
    link += (*target)[i] + (i + 1 < target->size() ? "/" : "");
  if (link.empty()) return std::string(".");
  if (link.back() == '/') link.pop_back();
  return link;
}

Result<OpenFile> Filesystem::Open(uint64_t ino, int flags) {
  auto e = EntryOf(ino);
  if (!e.ok()) return e.status();
  if (e->is_folder())
    return Status(StatusCode::kIsDirectory, e->name + " is a folder");
  if (e->is_shortcut()) return InvalidArgumentError("is a shortcut");
  const bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
  if (write) {
    if (!write_back_) return Status(StatusCode::kReadOnly, "read-only mount");
    if (e->is_native()) {
      GDMOUNT_LOG(kWarning) << "refusing to write " << e->name << " (" << e->id
                            << "): Google Docs files are read-only exports";
      return Status(StatusCode::kPermissionDenied,
                    e->name + " is a Google Docs file: read-only here");
    }
    if (!e->can_edit || e->trashed || e->id[0] == '.')
      return Status(StatusCode::kPermissionDenied, e->name + " is read-only");
  }
  if (!e->is_native() && !e->size) {
    // Reading it as empty would hand out wrong bytes.
    return IoError("Drive sent no size for " + e->id + " (" + e->name + ")");
  }
  auto h = std::make_shared<Handle>(options_.read_ahead);
  h->ino = ino;
  h->id = e->id;
  OpenFile opened;
  if (write) {
    auto staged = write_back_->OpenWrite(*e, KeyOf(*e), (flags & O_TRUNC) != 0);
    if (!staged.ok()) return staged.status();
    h->staged = std::move(*staged);
    h->staged_writer = true;
    h->writable = (flags & O_ACCMODE) != O_RDONLY;
    h->append = (flags & O_APPEND) != 0;
    h->stored_size = e->size.value_or(0);
    if ((flags & O_TRUNC) != 0) {
      // O_TRUNC is a change even if nothing is written: commit it now.
      Status s = CommitStaged(*h->staged, e->id);
      if (!s.ok()) {
        write_back_->Close(h->staged, /*writer=*/true);
        return s;
      }
    }
  } else if (e->is_native()) {
    auto bytes = ExportOf(*e);
    if (!bytes.ok()) return bytes.status();
    h->exported = true;
    h->export_bytes = std::move(bytes.value());
  } else if (write_back_) {
    auto staged = write_back_->OpenRead(e->id);
    if (!staged.ok()) return staged.status();
    h->staged = std::move(*staged);
  }
  if (!h->exported && !h->staged) {
    h->key = KeyOf(*e);
    Status pinned = cache_->Pin(h->key);
    if (!pinned.ok()) return pinned;
  }
  inodes_.OpenHandle(ino);
  opened.direct_io = h->exported;
  std::lock_guard<std::mutex> lock(handles_mu_);
  if (!h->exported && !h->staged) {
    // Pages the kernel kept are of the version last opened here; keep
    // them only if that is still the content.
    auto [it, first] = opened_version_.emplace(ino, h->key.version);
    opened.keep_cache = first || it->second == h->key.version;
    it->second = h->key.version;
  } else if (h->staged) {
    // Local content the kernel may not have: never reuse its pages, and
    // the next Drive-backed open must not either.
    opened_version_[ino] = "";
  }
  opened.fh = next_fh_++;
  handles_[opened.fh] = std::move(h);
  return opened;
}

Result<size_t> Filesystem::Read(uint64_t fh, int64_t offset, char* buf,
                                size_t size) {
  std::shared_ptr<Handle> h;
  {
    std::lock_guard<std::mutex> lock(handles_mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return InvalidArgumentError("bad file handle");
    h = it->second;
  }
  if (offset < 0) return InvalidArgumentError("negative offset");
  if (h->staged) return write_back_->Read(*h->staged, offset, buf, size);
  if (!h->exported) return ReadContent(*h, offset, buf, size);
  const std::string& data = h->export_bytes;
  if (static_cast<uint64_t>(offset) >= data.size()) return size_t{0};
  size_t n = std::min(size, data.size() - static_cast<size_t>(offset));
  std::memcpy(buf, data.data() + offset, n);
  return n;
}

Result<size_t> Filesystem::ReadContent(Handle& h, int64_t offset, char* buf,
                                       size_t size) {
  ReadAheadDecision d;
  {
    std::lock_guard<std::mutex> lock(h.mu);
    d = h.ahead.OnRead(offset, static_cast<int64_t>(size), h.key.size);
  }
  if (d.ahead_length > 0) {
    // Failures show up on the read that needs those bytes.
    (void)cache_->PrefetchAsync(h.key, d.ahead_offset, d.ahead_length);
  }
  if (!d.sequential && h.key.size > options_.small_file_threshold)
    return cache_->ReadDirect(h.key, offset, buf, size);
  return cache_->Read(h.key, offset, buf, size);
}

void Filesystem::Release(uint64_t fh) {
  std::shared_ptr<Handle> h;
  {
    std::lock_guard<std::mutex> lock(handles_mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return;
    h = std::move(it->second);
    handles_.erase(it);
  }
  if (h->staged) {
    // close() already flushed; a handle released without one (the kernel
    // always flushes first) still gets its bytes journaled here.
    if (h->staged->dirty()) (void)CommitStaged(*h->staged, h->id);
    write_back_->Close(h->staged, h->staged_writer);
    // The uploader holds back files open for writing: this may free one.
    if (h->staged_writer && uploader_) uploader_->Kick();
  } else if (!h->exported) {
    cache_->Unpin(h->key);
  }
  if (inodes_.CloseHandle(h->ino)) {
    std::lock_guard<std::mutex> lock(handles_mu_);
    opened_version_.erase(h->ino);  // as in Forget
  }
}

namespace {
constexpr const char* kXattrPrefix = "user.gdmount.";
constexpr auto kStatfsTtl = std::chrono::seconds(60);
}  // namespace

Result<std::vector<std::string>> Filesystem::ListXattr(uint64_t ino) {
  auto e = EntryOf(ino);
  if (!e.ok()) return e.status();
  std::vector<std::string> names;
  for (const auto& [suffix, value] :
       {std::pair<const char*, const std::string*>{"id", &e->id},
        {"md5", &e->md5},
        {"mime_type", &e->mime_type},
        {"web_view_link", &e->web_view_link}})
    if (!value->empty()) names.push_back(std::string(kXattrPrefix) + suffix);
  return names;
}

Result<std::string> Filesystem::GetXattr(uint64_t ino,
                                         const std::string& name) {
  auto e = EntryOf(ino);
  if (!e.ok()) return e.status();
  const std::string prefix = kXattrPrefix;
  if (name.rfind(prefix, 0) == 0) {
    std::string key = name.substr(prefix.size());
    const std::string* value = key == "id"              ? &e->id
                               : key == "md5"           ? &e->md5
                               : key == "mime_type"     ? &e->mime_type
                               : key == "web_view_link" ? &e->web_view_link
                                                        : nullptr;
    if (value && !value->empty()) return *value;
  }
  return NotFoundError("no attribute " + name);
}

Result<FsStats> Filesystem::StatFs() {
  auto now = clock_->SteadyNow();
  {
    std::lock_guard<std::mutex> lock(statfs_mu_);
    if (statfs_cache_ && now - statfs_when_ < kStatfsTtl) return *statfs_cache_;
  }
  // No lock across the network call; two concurrent misses may both ask.
  auto about = client_->GetAbout();
  if (!about.ok()) return about.status();
  FsStats st;
  st.total_bytes = about->quota_limit.value_or(0);
  st.used_bytes = about->quota_usage;
  st.max_file_bytes = about->max_upload_size;
  std::lock_guard<std::mutex> lock(statfs_mu_);
  statfs_cache_ = st;
  statfs_when_ = now;
  return st;
}

Status Filesystem::CheckGrowth(int64_t from, int64_t to) {
  if (to <= from) return Status::Ok();
  auto st = StatFs();
  if (!st.ok()) return Status::Ok();
  if (st->max_file_bytes > 0 && to > st->max_file_bytes)
    return Status(StatusCode::kFileTooLarge,
                  std::to_string(to) +
                      " bytes is past the largest file "
                      "Drive stores (" +
                      std::to_string(st->max_file_bytes) + " bytes)");
  if (st->total_bytes > 0 &&
      to - from > st->total_bytes - std::min(st->used_bytes, st->total_bytes))
    return Status(StatusCode::kQuotaExceeded,
                  "Drive is full: " + std::to_string(to - from) +
                      " more bytes do not fit in the " +
                      std::to_string(st->total_bytes - st->used_bytes) +
                      " bytes free");
  return Status::Ok();
}

size_t Filesystem::open_handles() const {
  std::lock_guard<std::mutex> lock(handles_mu_);
  return handles_.size();
}

}  // namespace gdmount::vfs
