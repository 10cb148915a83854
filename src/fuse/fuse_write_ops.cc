// The mutating FUSE handlers: each calls vfs::Filesystem and replies.
#include <fcntl.h>
#include <linux/fs.h>  // RENAME_NOREPLACE, RENAME_EXCHANGE

#include <cerrno>

#include "fuse/errno_map.h"
#include "fuse/fuse_ops.h"
#include "gdmount/log.h"

namespace gdmount::fuse {
namespace {

void ReplyEntry(fuse_req_t req, const char* op, fuse_ino_t parent,
                const Result<vfs::Attr>& a) {
  if (!a.ok()) {
    fuse_reply_err(req, Fail(op, parent, a.status()));
    return;
  }
  fuse_entry_param e = EntryOf(Self(req), *a);
  fuse_reply_entry(req, &e);
}

void ReplyStatus(fuse_req_t req, const char* op, fuse_ino_t ino,
                 const Status& s) {
  fuse_reply_err(req, s.ok() ? 0 : Fail(op, ino, s));
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t,
              fuse_file_info* fi) {
  vfs::OpenFile opened;
  auto a = Self(req)->fs()->Create(parent, name, fi->flags, &opened);
  if (!a.ok()) {
    fuse_reply_err(req, Fail("create", parent, a.status()));
    return;
  }
  fi->fh = opened.fh;
  fi->direct_io = 0;
  fi->keep_cache = 0;
  fuse_entry_param e = EntryOf(Self(req), *a);
  if (fuse_reply_create(req, &e, fi) != 0) {
    // Interrupted: the kernel will not release this handle.
    Self(req)->fs()->Release(opened.fh);
  }
}

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
             dev_t) {
  ReplyEntry(req, "mknod", parent, Self(req)->fs()->Mknod(parent, name, mode));
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  ReplyEntry(req, "mkdir", parent, Self(req)->fs()->Mkdir(parent, name));
}

void OpSymlink(fuse_req_t req, const char* link, fuse_ino_t parent,
               const char* name) {
  ReplyEntry(req, "symlink", parent,
             Self(req)->fs()->Symlink(link, parent, name));
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyStatus(req, "unlink", parent, Self(req)->fs()->Unlink(parent, name));
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyStatus(req, "rmdir", parent, Self(req)->fs()->Rmdir(parent, name));
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name,
              fuse_ino_t new_parent, const char* new_name, unsigned int flags) {
  if (flags & RENAME_EXCHANGE) {
    fuse_reply_err(req, EINVAL);  // Drive cannot swap two names atomically
    return;
  }
  ReplyStatus(req, "rename", parent,
              Self(req)->fs()->Rename(parent, name, new_parent, new_name,
                                      (flags & RENAME_NOREPLACE) != 0));
}

void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  // Drive has one parent per item: no second name for the same file.
  fuse_reply_err(req, EPERM);
}

void OpWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size,
             off_t off, fuse_file_info* fi) {
  auto n = Self(req)->fs()->Write(fi->fh, off, buf, size);
  if (!n.ok()) {
    fuse_reply_err(req, Fail("write", ino, n.status()));
    return;
  }
  fuse_reply_write(req, *n);
}

void OpFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  ReplyStatus(req, "flush", ino, Self(req)->fs()->Flush(fi->fh));
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) {
  ReplyStatus(req, "fsync", ino, Self(req)->fs()->Fsync(fi->fh));
}

void OpFsyncdir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  // Namespace changes reach Drive before their call returns.
  fuse_reply_err(req, 0);
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
               fuse_file_info* fi) {
  vfs::SetAttrRequest r;
  if (to_set & FUSE_SET_ATTR_SIZE) r.size = attr->st_size;
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    struct timespec now {};
    clock_gettime(CLOCK_REALTIME, &now);
    r.mtime_ms = now.tv_sec * 1000 + now.tv_nsec / 1000000;
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    r.mtime_ms = attr->st_mtim.tv_sec * 1000 + attr->st_mtim.tv_nsec / 1000000;
  }
  if (to_set & FUSE_SET_ATTR_MODE) r.mode = attr->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) r.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) r.gid = attr->st_gid;
  auto a = Self(req)->fs()->SetAttr(ino, r, fi ? fi->fh : 0);
  if (!a.ok()) {
    fuse_reply_err(req, Fail("setattr", ino, a.status()));
    return;
  }
  struct stat st = ToStat(*a);
  fuse_reply_attr(req, &st, Self(req)->options().attr_timeout_s);
}

}  // namespace

void AddWriteOps(fuse_lowlevel_ops* ops) {
  ops->create = OpCreate;
  ops->mknod = OpMknod;
  ops->mkdir = OpMkdir;
  ops->symlink = OpSymlink;
  ops->unlink = OpUnlink;
  ops->rmdir = OpRmdir;
  ops->rename = OpRename;
  ops->link = OpLink;
  ops->write = OpWrite;
  ops->flush = OpFlush;
  ops->fsync = OpFsync;
  ops->fsyncdir = OpFsyncdir;
  ops->setattr = OpSetattr;
}

}  // namespace gdmount::fuse
