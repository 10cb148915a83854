#include "fuse/fuse_frontend.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "fuse/errno_map.h"
#include "fuse/fuse_ops.h"
#include "gdmount/log.h"
#include "util/mountinfo.h"

namespace gdmount::fuse {

FuseFrontend* Self(fuse_req_t req) {
  return static_cast<FuseFrontend*>(fuse_req_userdata(req));
}

struct stat ToStat(const vfs::Attr& a) {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = a.mode;
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_size = a.size;
  st.st_blocks = (a.size + 511) / 512;
  st.st_blksize = 4096;
  st.st_mtim.tv_sec = a.mtime_ms / 1000;
  st.st_mtim.tv_nsec = (a.mtime_ms % 1000) * 1000000;
  st.st_ctim = st.st_mtim;
  st.st_atim = st.st_mtim;
  return st;
}

int Fail(const char* op, uint64_t ino, const Status& s) {
  int err = ErrnoFor(s);
  if (err != ENOENT) {  // misses are routine, not failures
    GDMOUNT_LOG(kWarning) << op << " ino " << ino << ": " << s.ToString()
                          << " -> errno " << err;
  }
  return err;
}

fuse_entry_param EntryOf(FuseFrontend* self, const vfs::Attr& a) {
  fuse_entry_param e{};
  e.ino = a.ino;
  e.attr = ToStat(a);
  e.attr_timeout = self->options().attr_timeout_s;
  e.entry_timeout = self->options().entry_timeout_s;
  return e;
}

namespace {

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseFrontend* self = Self(req);
  auto a = self->fs()->Lookup(parent, name);
  if (!a.ok()) {
    if (a.status().code() == StatusCode::kNotFound) {
      // Negative entry: the kernel may cache the miss for entry_timeout.
      fuse_entry_param e{};
      e.entry_timeout = self->options().entry_timeout_s;
      fuse_reply_entry(req, &e);
      return;
    }
    fuse_reply_err(req, Fail("lookup", parent, a.status()));
    return;
  }
  fuse_entry_param e = EntryOf(self, *a);
  fuse_reply_entry(req, &e);
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
  Self(req)->fs()->Forget(ino, n);
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i)
    Self(req)->fs()->Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  FuseFrontend* self = Self(req);
  auto a = self->fs()->GetAttr(ino);
  if (!a.ok()) {
    fuse_reply_err(req, Fail("getattr", ino, a.status()));
    return;
  }
  struct stat st = ToStat(*a);
  fuse_reply_attr(req, &st, self->options().attr_timeout_s);
}

// An open directory: the listing as it was at opendir, so the offsets of
// successive readdir calls stay consistent even if the folder is listed
// again meanwhile. The children are shared with the folder view, not copied.
struct DirHandle {
  std::shared_ptr<const std::vector<vfs::Child>> children;
  fuse_ino_t self = 0;
  fuse_ino_t parent = 0;
};

// "." and ".." come first, at offsets 0 and 1; child i is entry i + 2.
constexpr size_t kDots = 2;

DirHandle* DirOf(fuse_file_info* fi) {
  return reinterpret_cast<DirHandle*>(static_cast<uintptr_t>(fi->fh));
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto entries = Self(req)->fs()->ReadDir(ino);
  if (!entries.ok()) {
    fuse_reply_err(req, Fail("opendir", ino, entries.status()));
    return;
  }
  auto* dir =
      new DirHandle{std::move(*entries), ino, Self(req)->fs()->ParentIno(ino)};
  fi->fh = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(dir));
  fi->cache_readdir = 0;
  if (fuse_reply_open(req, fi) != 0) delete dir;  // interrupted: no release
}

void OpReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete DirOf(fi);
  fuse_reply_err(req, 0);
}

// Adds one entry at `next_off`; false if it did not fit. The kernel takes
// no reference for "." and ".." (fuse_direntplus_link skips them).
bool AddEntry(fuse_req_t req, std::vector<char>& buf, size_t& used,
              const std::string& name, const vfs::Attr& attr, off_t next_off,
              bool plus) {
  size_t room = buf.size() - used, n;
  if (plus) {
    fuse_entry_param e = EntryOf(Self(req), attr);
    n = fuse_add_direntry_plus(req, buf.data() + used, room, name.c_str(), &e,
                               next_off);
  } else {
    struct stat st = ToStat(attr);
    n = fuse_add_direntry(req, buf.data() + used, room, name.c_str(), &st,
                          next_off);
  }
  if (n > room) return false;  // did not fit: not handed out
  used += n;
  return true;
}

// readdir and readdirplus: `off` is the index of the next entry.
void ReadDir(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi,
             bool plus) {
  FuseFrontend* self = Self(req);
  const DirHandle& dir = *DirOf(fi);
  std::vector<char> buf(size);
  size_t used = 0;
  for (size_t i = static_cast<size_t>(off); i < kDots; ++i) {
    vfs::Attr dot;
    dot.ino = i == 0 ? dir.self : dir.parent;
    dot.mode = S_IFDIR;
    if (!AddEntry(req, buf, used, i == 0 ? "." : "..", dot,
                  static_cast<off_t>(i + 1), plus))
      break;
  }
  const auto& children = *dir.children;
  size_t first = std::max(static_cast<size_t>(off), kDots) - kDots;
  for (size_t i = first; i < children.size() && used < size; ++i) {
    const vfs::Child& c = children[i];
    vfs::Attr attr = self->fs()->AttrOf(c.entry);
    if (!AddEntry(req, buf, used, c.name, attr,
                  static_cast<off_t>(i + kDots + 1), plus))
      break;
    if (plus) self->fs()->Remember(attr.ino, c.entry.id);
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OpReaddir(fuse_req_t req, fuse_ino_t, size_t size, off_t off,
               fuse_file_info* fi) {
  ReadDir(req, size, off, fi, false);
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t, size_t size, off_t off,
                   fuse_file_info* fi) {
  ReadDir(req, size, off, fi, true);
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  auto link = Self(req)->fs()->ReadLink(ino);
  if (link.ok()) {
    fuse_reply_readlink(req, link->c_str());
    return;
  }
  if (link.status().code() == StatusCode::kNotFound) {
    // The link itself exists; its target is what is missing.
    GDMOUNT_LOG(kWarning) << "readlink ino " << ino << ": "
                          << link.status().message() << " -> ENOLINK";
    fuse_reply_err(req, ENOLINK);
    return;
  }
  fuse_reply_err(req, Fail("readlink", ino, link.status()));
}

// Only asked without default_permissions (i.e. without allow_other), when
// the mounting user is the only one let in: existence and read-only-ness.
void OpAccess(fuse_req_t req, fuse_ino_t ino, int mask) {
  auto a = Self(req)->fs()->GetAttr(ino);
  if (!a.ok()) {
    fuse_reply_err(req, Fail("access", ino, a.status()));
    return;
  }
  if ((mask & W_OK) && !(a->mode & S_IWUSR)) {
    fuse_reply_err(req, Self(req)->fs()->writable() ? EACCES : EROFS);
    return;
  }
  fuse_reply_err(req, 0);
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Self(req)->ApplyReadAheadOnce();
  auto opened = Self(req)->fs()->Open(ino, fi->flags);
  if (!opened.ok()) {
    fuse_reply_err(req, Fail("open", ino, opened.status()));
    return;
  }
  fi->fh = opened->fh;
  fi->direct_io = opened->direct_io;
  fi->keep_cache = opened->keep_cache;
  fuse_reply_open(req, fi);
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            fuse_file_info* fi) {
  // Not zero-filled: every byte handed back is written by Read first.
  std::unique_ptr<char[]> buf(new char[size]);
  auto n = Self(req)->fs()->Read(fi->fh, off, buf.get(), size);
  if (!n.ok()) {
    fuse_reply_err(req, Fail("read", ino, n.status()));
    return;
  }
  fuse_reply_buf(req, buf.get(), *n);
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Self(req)->fs()->Release(fi->fh);
  fuse_reply_err(req, 0);
}

void OpStatfs(fuse_req_t req, fuse_ino_t ino) {
  auto q = Self(req)->fs()->StatFs();
  if (!q.ok()) {
    fuse_reply_err(req, Fail("statfs", ino, q.status()));
    return;
  }
  constexpr int64_t kBlock = 4096;
  // An unlimited quota is shown as 1 PiB so df and free-space checks work.
  int64_t total = q->total_bytes > 0 ? q->total_bytes : int64_t{1} << 50;
  int64_t free_bytes = std::max<int64_t>(0, total - q->used_bytes);
  struct statvfs st {};
  st.f_bsize = kBlock;
  st.f_frsize = kBlock;
  st.f_blocks = static_cast<fsblkcnt_t>(total / kBlock);
  st.f_bfree = static_cast<fsblkcnt_t>(free_bytes / kBlock);
  st.f_bavail = st.f_bfree;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

// getxattr/listxattr protocol: size 0 asks for the length; too small a
// buffer is ERANGE.
void ReplyXattr(fuse_req_t req, const std::string& value, size_t size) {
  if (size == 0) {
    fuse_reply_xattr(req, value.size());
  } else if (size < value.size()) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, value.data(), value.size());
  }
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  // ls -l asks every file for security.* and system.posix_acl_*: answer
  // those without touching the store.
  if (std::strncmp(name, "user.gdmount.", 13) != 0) {
    fuse_reply_err(req, ENODATA);
    return;
  }
  auto v = Self(req)->fs()->GetXattr(ino, name);
  if (!v.ok()) {
    fuse_reply_err(req, v.status().code() == StatusCode::kNotFound
                            ? ENODATA
                            : Fail("getxattr", ino, v.status()));
    return;
  }
  ReplyXattr(req, *v, size);
}

void OpListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto names = Self(req)->fs()->ListXattr(ino);
  if (!names.ok()) {
    fuse_reply_err(req, Fail("listxattr", ino, names.status()));
    return;
  }
  std::string list;
  for (const auto& n : *names) list.append(n).push_back('\0');
  ReplyXattr(req, list, size);
}

void OpReadonly(fuse_req_t req) { fuse_reply_err(req, EROFS); }

fuse_lowlevel_ops Ops(bool xattrs, bool writable) {
  fuse_lowlevel_ops ops{};
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.opendir = OpOpendir;
  ops.releasedir = OpReleasedir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.readlink = OpReadlink;
  ops.access = OpAccess;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.release = OpRelease;
  ops.statfs = OpStatfs;
  // Unset (the default), the kernel gets ENOSYS once and stops asking:
  // otherwise `ls -l` costs two requests per entry (security.selinux,
  // system.posix_acl_access) even though gdmount has neither.
  if (xattrs) {
    ops.getxattr = OpGetxattr;
    ops.listxattr = OpListxattr;
  }
  if (writable) {
    AddWriteOps(&ops);
    ops.setxattr = [](fuse_req_t r, fuse_ino_t, const char*, const char*,
                      size_t, int) { fuse_reply_err(r, ENOTSUP); };
    return ops;
  }
  ops.setxattr = [](fuse_req_t r, fuse_ino_t, const char*, const char*, size_t,
                    int) { OpReadonly(r); };
  ops.mkdir = [](fuse_req_t r, fuse_ino_t, const char*, mode_t) {
    OpReadonly(r);
  };
  ops.unlink = [](fuse_req_t r, fuse_ino_t, const char*) { OpReadonly(r); };
  ops.rmdir = [](fuse_req_t r, fuse_ino_t, const char*) { OpReadonly(r); };
  ops.create = [](fuse_req_t r, fuse_ino_t, const char*, mode_t,
                  fuse_file_info*) { OpReadonly(r); };
  ops.rename = [](fuse_req_t r, fuse_ino_t, const char*, fuse_ino_t,
                  const char*, unsigned int) { OpReadonly(r); };
  return ops;
}

// "MAJ:MIN" of the filesystem mounted at `mountpoint` ("" if none), from
// the mount table (a stat of the mount point would be a FUSE request
// before the loop runs).
std::string DeviceOf(const std::string& mountpoint) {
  const auto table = util::ReadMountTable();
  const util::MountEntry* e = util::MountAt(table, mountpoint);
  return e ? e->device : std::string();
}

// Raises the kernel's read-ahead for the mount (see ApplyReadAheadOnce for
// when): with the default 128 KiB,
// sequential reads arrive as 128 KiB requests; with 1 MiB, as 1 MiB ones
// (libfuse asks for 256-page requests), which measured ~2x faster warm
// re-reads here. Needs root; otherwise the kernel default stays.
void SetKernelReadAhead(const std::string& mountpoint, int64_t bytes) {
  if (bytes <= 0) return;
  std::string dev = DeviceOf(mountpoint);
  if (dev.empty()) return;
  const std::string path = "/sys/class/bdi/" + dev + "/read_ahead_kb";
  std::ofstream out(path);
  out << bytes / 1024 << "\n";
  out.flush();
  if (!out) {
    GDMOUNT_LOG(kDebug) << "could not set " << path
                        << " (not root?): kernel read-ahead stays at its "
                           "default";
    return;
  }
  GDMOUNT_LOG(kDebug) << "kernel read-ahead for " << mountpoint << ": "
                      << bytes / 1024 << " KiB";
}

}  // namespace

FuseFrontend::FuseFrontend(vfs::Filesystem* fs, MountOptions options)
    : fs_(fs), options_(std::move(options)) {}

void FuseFrontend::ApplyReadAheadOnce() {
  std::call_once(read_ahead_once_, [this] {
    if (!canonical_mountpoint_.empty())
      SetKernelReadAhead(canonical_mountpoint_,
                         options_.kernel_read_ahead_bytes);
  });
}

FuseFrontend::~FuseFrontend() {
  Unmount();
  if (session_) fuse_session_destroy(session_);
}

void FuseFrontend::Unmount() {
  serving_ = false;
  if (notifying_ > 0) {
    // Bounded: a notification blocked in the kernel is released below.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (notifying_ > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (notifying_ > 0 && !device_.empty()) {
      const std::string abort = "/sys/fs/fuse/connections/" +
                                device_.substr(device_.find(':') + 1) +
                                "/abort";
      GDMOUNT_LOG(kWarning) << "a kernel notification is stuck at unmount; "
                               "aborting the connection ("
                            << abort << ")";
      std::ofstream(abort) << "1\n";
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (notifying_ > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (signals_) fuse_remove_signal_handlers(session_);
  signals_ = false;
  if (mounted_) fuse_session_unmount(session_);
  mounted_ = false;
}

Status FuseFrontend::Mount() {
  std::vector<std::string> argv = {
      "gdmount", "-o",
      std::string("fsname=gdmount,subtype=gdmount") +
          (fs_->writable() ? "" : ",ro")};
  if (options_.allow_other) argv.back() += ",allow_other,default_permissions";
  if (options_.debug) argv.push_back("-d");
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(args.size()), args.data());
  fuse_lowlevel_ops ops = Ops(options_.xattrs, fs_->writable());
  session_ = fuse_session_new(&fargs, &ops, sizeof ops, this);
  // Parsing replaced fargs with copies libfuse allocated (LeakSanitizer).
  fuse_opt_free_args(&fargs);
  if (!session_) return IoError("could not create the FUSE session");
  if (fuse_set_signal_handlers(session_) != 0)
    return IoError("could not install signal handlers");
  signals_ = true;
  // Resolved before mounting: afterwards a stat of it would be a request
  // to this not yet running filesystem.
  std::error_code ec;
  const std::string canonical =
      std::filesystem::weakly_canonical(options_.mountpoint, ec).string();
  if (fuse_session_mount(session_, options_.mountpoint.c_str()) != 0)
    return IoError("could not mount at " + options_.mountpoint +
                   " (is /dev/fuse there, and the directory empty?)");
  mounted_ = true;
  if (!ec) canonical_mountpoint_ = canonical;
  device_ = DeviceOf(canonical_mountpoint_);
  return Status::Ok();
}

void FuseFrontend::InvalidateEntry(uint64_t parent, const std::string& name) {
  // Counted before serving_ is read, and Unmount clears serving_ before
  // reading the count: a call either sees the loop gone or is waited for.
  ++notifying_;
  if (serving_) {
    int rc = fuse_lowlevel_notify_inval_entry(
        session_, static_cast<fuse_ino_t>(parent), name.data(), name.size());
    // -ENOENT: the kernel had nothing cached under that name.
    if (rc != 0 && rc != -ENOENT) {
      GDMOUNT_LOG(kDebug) << "notify_inval_entry(" << parent << ", " << name
                          << "): " << std::strerror(-rc);
    }
  }
  --notifying_;
}

void FuseFrontend::InvalidateInode(uint64_t ino) {
  ++notifying_;
  if (serving_) {
    int rc = fuse_lowlevel_notify_inval_inode(
        session_, static_cast<fuse_ino_t>(ino), 0, 0);
    if (rc != 0 && rc != -ENOENT) {
      GDMOUNT_LOG(kDebug) << "notify_inval_inode(" << ino
                          << "): " << std::strerror(-rc);
    }
  }
  --notifying_;
}

Status FuseFrontend::Run() {
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(cfg, 0);
  fuse_loop_cfg_set_max_threads(cfg,
                                static_cast<unsigned>(options_.max_threads));
  serving_ = true;
  int rc = fuse_session_loop_mt(session_, cfg);
  serving_ = false;
  fuse_loop_cfg_destroy(cfg);
  if (rc != 0 && rc != SIGINT && rc != SIGTERM)
    return IoError("FUSE loop ended with " + std::to_string(rc));
  return Status::Ok();
}

}  // namespace gdmount::fuse
