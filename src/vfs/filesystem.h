// Filesystem: the filesystem operations, FUSE-agnostic (the fuse/ module
// translates kernel requests into these calls and Status into errno).
//
// Design note. Names and folders come from Tree (listed once, then local);
// attributes from the stored entries; file bytes from the ContentCache
// (binary files, read through the chunk cache) or, for Google-native files,
// from an export held by the open handle (Drive caps exports at 10 MB and
// cannot serve them in ranges). The kernel's references are counted in the
// InodeTable: the FUSE layer calls Remember() for every entry it hands out
// and Forget() when the kernel forgets.
//
// Writes (filesystem_write.cc) go through the write-back cache: bytes to a
// staging file, committed to the upload journal at flush/release before the
// call returns, uploaded by the Uploader (cache/write_back.h, uploader.h).
// Namespace changes (mkdir, rename, unlink, rmdir, symlink, times) go to
// Drive at once, except for files Drive has not seen yet, which change in
// the journal. Without a WriteBack the mount is read-only (EROFS).
//
// Thread safety: thread-safe. The handle map has its own mutex, held only
// for map operations; reads run without it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cache/content_cache.h"
#include "cache/uploader.h"
#include "cache/write_back.h"
#include "gdmount/drive_client.h"
#include "meta/metadata_store.h"
#include "vfs/inode_table.h"
#include "vfs/read_ahead.h"
#include "vfs/tree.h"

namespace gdmount::vfs {

struct FsOptions {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t umask = 022;
  // Sequential detection and the read-ahead window (vfs/read_ahead.h).
  ReadAheadOptions read_ahead;
  // Files up to this size are fetched whole on their first read, whatever
  // the access pattern; larger ones read randomly get right-sized ranged
  // requests instead of whole chunks.
  int64_t small_file_threshold = 1 << 20;
  // unlink/rmdir delete permanently instead of moving to Drive's trash.
  bool delete_permanently = false;
  // fsync gives up waiting for the upload after this long (EIO).
  std::chrono::milliseconds fsync_timeout{std::chrono::minutes(10)};
};

// What setattr changes; unset members stay as they are.
struct SetAttrRequest {
  std::optional<int64_t> size;
  std::optional<int64_t> mtime_ms;
  std::optional<uint32_t> mode;  // permission bits (chmod)
  std::optional<uint32_t> uid;   // chown
  std::optional<uint32_t> gid;
};

// What stat() shows. Times in milliseconds since the epoch.
struct Attr {
  uint64_t ino = 0;
  mode_t mode = 0;  // type and permission bits
  uint32_t nlink = 1;
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t size = 0;
  int64_t mtime_ms = 0;
  int64_t ctime_ms = 0;
};

struct OpenFile {
  uint64_t fh = 0;
  // Bypass the page cache: Google-native files, whose size is unknown to
  // stat() (0) until exported.
  bool direct_io = false;
  // The kernel may keep the pages it cached at earlier opens: the content
  // version is the one this mount last opened for the inode.
  bool keep_cache = false;
};

struct FsStats {
  int64_t total_bytes = 0;  // the Drive quota; 0 = unlimited
  int64_t used_bytes = 0;
  int64_t max_file_bytes = 0;  // About.maxUploadSize; 0 = unknown
};

class Filesystem {
 public:
  // The pointers must outlive the Filesystem; `tree` must be Init()ed.
  // Without `write_back` (and `uploader`) the filesystem is read-only.
  Filesystem(Tree* tree, meta::MetadataStore* store, cache::ContentCache* cache,
             drive::DriveClient* client, FsOptions options,
             Clock* clock = RealClock(), cache::WriteBack* write_back = nullptr,
             cache::Uploader* uploader = nullptr);
  bool writable() const { return write_back_ != nullptr; }

  // The child `name` of directory `parent`; counts one kernel reference.
  // NotFound, or InvalidArgument if `parent` is not a directory.
  Result<Attr> Lookup(uint64_t parent, const std::string& name);
  Result<Attr> GetAttr(uint64_t ino);
  // The children of a directory (without "." and ".."), shared and
  // immutable (a folder of 100,000 entries is not copied per call).
  Result<std::shared_ptr<const std::vector<Child>>> ReadDir(uint64_t ino);
  // The inode of the folder `ino` is listed in (for ".."): the root for
  // the root itself and for items without a stored parent.
  uint64_t ParentIno(uint64_t ino);
  // What stat() shows for a stored entry.
  Attr AttrOf(const meta::Entry& e) const;
  // The FUSE layer handed out an entry for (ino, id) (readdirplus).
  void Remember(uint64_t ino, const std::string& id);
  void Forget(uint64_t ino, uint64_t n);

  // A shortcut's target as a path relative to the shortcut's folder
  // ("../data/x.csv"), so it works wherever the mount is. NotFound (saying
  // why) when the target is not reachable in this mount (deleted, trashed,
  // outside the root folder); InvalidArgument for anything but a shortcut.
  Result<std::string> ReadLink(uint64_t ino);

  // Opens a file with open(2) `flags`; returns a handle. InvalidArgument
  // for a directory; NotSupported (with Drive's reason) for a native file
  // that cannot be exported; PermissionDenied for writing a Google-native
  // file; ReadOnly (EROFS) for writing on a read-only mount.
  Result<OpenFile> Open(uint64_t ino, int flags = 0);
  // Up to `size` bytes at `offset`; fewer at the end of the file.
  Result<size_t> Read(uint64_t fh, int64_t offset, char* buf, size_t size);
  // Commits what the handle wrote (flush: close() waits for this).
  Status Flush(uint64_t fh);
  // Flush, then waits until the file is on Drive.
  Status Fsync(uint64_t fh);
  void Release(uint64_t fh);

  // --- writes (filesystem_write.cc) ---
  Result<size_t> Write(uint64_t fh, int64_t offset, const char* buf,
                       size_t size);
  // create(2): a new empty file `name` in `parent`, opened with `flags`.
  // AlreadyExists if the name is taken.
  Result<Attr> Create(uint64_t parent, const std::string& name, int flags,
                      OpenFile* opened);
  // mknod(2) of a regular file; other types are NotSupported.
  Result<Attr> Mknod(uint64_t parent, const std::string& name, mode_t mode);
  Result<Attr> Mkdir(uint64_t parent, const std::string& name);
  // NotFound, or InvalidArgument (EISDIR-like) for a directory.
  Status Unlink(uint64_t parent, const std::string& name);
  // NotEmpty if the folder has children.
  Status Rmdir(uint64_t parent, const std::string& name);
  // POSIX rename: replaces an existing target of the same kind.
  // `noreplace`: AlreadyExists instead.
  Status Rename(uint64_t parent, const std::string& name, uint64_t new_parent,
                const std::string& new_name, bool noreplace);
  // A symlink whose target is inside the mount becomes a Drive shortcut;
  // any other target is kept in a small file's appProperties
  // (docs/writing.md).
  Result<Attr> Symlink(const std::string& target, uint64_t parent,
                       const std::string& name);
  // truncate(2), utimens(2), chmod(2), chown(2); `fh` (0 = none) is the
  // handle of ftruncate. Mode and owner are kept in appProperties.
  Result<Attr> SetAttr(uint64_t ino, const SetAttrRequest& req, uint64_t fh);

  size_t open_handles() const;

  // Extended attributes exposing Drive metadata: user.gdmount.id, .md5,
  // .mime_type, .web_view_link (absent values are not listed).
  // NotFound for an unknown name (the FUSE layer answers ENODATA).
  Result<std::string> GetXattr(uint64_t ino, const std::string& name);
  Result<std::vector<std::string>> ListXattr(uint64_t ino);

  // Quota from about.storageQuota, fetched at most once a minute.
  Result<FsStats> StatFs();

  // May a file stored with `from` bytes grow to `to` bytes? FileTooLarge
  // (EFBIG) past About.maxUploadSize; QuotaExceeded (ENOSPC) when the
  // growth is more than the quota has free. Refused here, at write(2) or
  // truncate(2), rather than accepted by close() and then refused by
  // every upload. Best effort: the quota is at most a minute old and does
  // not count uploads still pending; when About cannot be fetched the
  // growth is allowed (Drive has the last word at upload).
  Status CheckGrowth(int64_t from, int64_t to);

 private:
  struct Handle {
    explicit Handle(ReadAheadOptions o) : ahead(o) {}
    uint64_t ino = 0;
    std::string id;
    cache::FileKey key;
    bool exported = false;
    std::string export_bytes;  // native files: the export, whole
    // Set while the file has a staging file (being written, or written and
    // not yet uploaded): reads and writes go there.
    std::shared_ptr<cache::StagedFile> staged;
    bool staged_writer = false;  // staged by OpenWrite/Create
    bool writable = false;
    bool append = false;
    // The file's stored size when opened: Write measures growth from it
    // (CheckGrowth) without a metadata lookup per FUSE write.
    int64_t stored_size = 0;
    std::mutex mu;  // guards `ahead`
    ReadAhead ahead;
  };

  Result<meta::Entry> EntryOf(uint64_t ino);
  Result<std::shared_ptr<Handle>> HandleOf(uint64_t fh);
  uint64_t AddHandle(std::shared_ptr<Handle> h);
  // The folder entry of directory inode `parent` and a valid new name in
  // it. InvalidArgument for a bad name or a non-directory.
  Result<meta::Entry> FolderFor(uint64_t parent, const std::string& name);
  // Commits a staged file's content to the journal and wakes the uploader.
  Status CommitStaged(cache::StagedFile& staged, const std::string& id);
  // Removes `child` (Drive trash or delete; journal; store; view). A
  // folder must be empty on Drive too (EmptyOnDrive).
  Status RemoveChild(const meta::Entry& folder, const Child& child);
  // Before a folder this mount shows empty is trashed: Drive may still
  // have children in it. Files moved out here whose move is journaled
  // (the uploader has not applied it) are moved now, since trashing the
  // folder would trash them too; files deleted here that Drive still has
  // (their create was in flight) go with it; anything else (another
  // client's new file) makes it NotEmpty.
  Status EmptyOnDrive(const meta::Entry& folder);
  // Renames/moves a file that has no journal row on Drive, from folder
  // `from_id` (where this mount shows it) to `to_id` as `new_name`.
  // Returns Drive's answer.
  Result<drive::DriveFile> MoveOnDrive(const std::string& id,
                                       const std::string& from_id,
                                       const std::string& to_id,
                                       const std::string& new_name);
  Status SetOwnerAndMode(const meta::Entry& e, const SetAttrRequest& req);
  // AlreadyExists if `name` is taken in the folder.
  Status NameFree(const std::string& folder_id, const std::string& name);
  // An item this mount just made on Drive: stored, shown in its folder,
  // and referenced for the kernel. Returns its attributes.
  Result<Attr> Adopt(const std::string& folder_id,
                     const drive::DriveFile& created);
  Result<std::string> ResolveInside(const std::string& from,
                                    const std::string& target);
  // A binary file's bytes: through the chunk cache with read-ahead for
  // sequential reads and small files, right-sized requests otherwise.
  Result<size_t> ReadContent(Handle& h, int64_t offset, char* buf, size_t size);
  Result<std::string> ExportOf(const meta::Entry& e);

  Tree* tree_;
  meta::MetadataStore* store_;
  cache::ContentCache* cache_;
  drive::DriveClient* client_;
  const FsOptions options_;
  Clock* clock_;
  cache::WriteBack* write_back_;  // null: read-only
  cache::Uploader* uploader_;
  InodeTable inodes_;

  std::mutex statfs_mu_;
  std::optional<FsStats> statfs_cache_;                // GUARDED_BY
  std::chrono::steady_clock::time_point statfs_when_;  // GUARDED_BY

  mutable std::mutex handles_mu_;
  std::map<uint64_t, std::shared_ptr<Handle>> handles_;  // GUARDED_BY
  uint64_t next_fh_ = 1;                                 // GUARDED_BY
  // Content version each inode was last opened at (keep_cache).
  std::map<uint64_t, std::string> opened_version_;  // GUARDED_BY
};

// The cache key of a stored file: its content version is the md5, else the
// head revision, else Drive's version number.
cache::FileKey KeyOf(const meta::Entry& e);

}  // namespace gdmount::vfs
