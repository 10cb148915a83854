// FuseFrontend: the kernel side of the mount (libfuse3 low-level API,
// multi-threaded loop). Each handler decodes the request, calls
// vfs::Filesystem, maps Status to errno (errno_map.h), logs a failed op
// once, and replies. This is the only module that sees libfuse.
//
// On a read-only Filesystem, opens for writing and every mutating op answer
// EROFS; otherwise the mutating handlers are in fuse_write_ops.cc.
//
// Thread safety: Run() blocks in the loop, which ends at unmount or on
// SIGINT/SIGTERM (libfuse's handlers). Mount, Run and Unmount are called
// from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "gdmount/status.h"
#include "vfs/filesystem.h"
#include "vfs/kernel_notifier.h"

struct fuse_session;

namespace gdmount::fuse {

struct MountOptions {
  std::string mountpoint;
  bool allow_other = false;  // then default_permissions too
  bool debug = false;        // libfuse's own request trace
  // Mount over a non-empty directory (hiding its files); the daemon
  // refuses to otherwise.
  bool nonempty = false;
  double entry_timeout_s = 1.0;
  double attr_timeout_s = 1.0;
  // Serve user.gdmount.* extended attributes (costs ls -l two requests per
  // entry; see Ops()).
  bool xattrs = false;
  int max_threads = 16;
  // The kernel's read-ahead for this mount (its bdi's read_ahead_kb), set
  // after mounting when allowed (root); 0 leaves the kernel's 128 KiB.
  int64_t kernel_read_ahead_bytes = 1 << 20;
};

// Also the VFS's KernelNotifier: the change feed's invalidations become
// libfuse notify calls while the loop serves requests (skipped otherwise).
class FuseFrontend : public vfs::KernelNotifier {
 public:
  FuseFrontend(vfs::Filesystem* fs, MountOptions options);
  ~FuseFrontend() override;

  // Creates the session and mounts. Errors: Io with libfuse's reason
  // (no /dev/fuse, mount point missing or busy...).
  Status Mount();
  // Serves requests until unmounted (fusermount3 -u, umount) or SIGINT /
  // SIGTERM (libfuse's handlers, installed by Mount()). Returns Io if the
  // loop failed. The mount stays until Unmount() (or the destructor), so
  // the caller can install its own signal handlers first.
  Status Run();
  // Removes libfuse's signal handlers (only if still installed) and
  // unmounts; nothing is served afterwards. Idempotent. A notification
  // still in the kernel after the loop ended (it can wait on a request the
  // loop will never answer) is given 2 s, then the connection is aborted
  // through /sys/fs/fuse/connections.
  void Unmount();

  // KernelNotifier. Thread-safe; never call from a FUSE request handler.
  void InvalidateEntry(uint64_t parent, const std::string& name) override;
  void InvalidateInode(uint64_t ino) override;

  vfs::Filesystem* fs() { return fs_; }
  const MountOptions& options() const { return options_; }
  // Applies kernel_read_ahead_bytes once, from the first open: not before,
  // because the kernel resets the mount's read-ahead when it processes the
  // INIT reply; and a file's read-ahead is taken from the mount at open.
  void ApplyReadAheadOnce();

 private:
  vfs::Filesystem* fs_;
  MountOptions options_;
  ::fuse_session* session_ = nullptr;
  bool mounted_ = false;
  bool signals_ = false;
  std::string canonical_mountpoint_;  // for /proc/self/mountinfo
  std::string device_;                // "0:MINOR" of the mount, once mounted
  std::atomic<bool> serving_{false};  // the loop runs: notifications allowed
  std::atomic<int> notifying_{0};     // notify calls in progress
  std::once_flag read_ahead_once_;
};

}  // namespace gdmount::fuse
