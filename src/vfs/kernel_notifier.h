// KernelNotifier: how the VFS tells the kernel to forget what it cached
// about names and inodes that changed elsewhere (implemented by the FUSE
// frontend with libfuse's notify calls). Calls may block until the kernel
// has dropped the entries, so they must come from a thread that serves no
// FUSE request and holds no lock a request may need.
#pragma once

#include <cstdint>
#include <string>

namespace gdmount::vfs {

class KernelNotifier {
 public:
  virtual ~KernelNotifier() = default;
  // The name `name` in directory `parent` (a dentry, positive or negative).
  virtual void InvalidateEntry(uint64_t parent, const std::string& name) = 0;
  // The inode's attributes and cached pages.
  virtual void InvalidateInode(uint64_t ino) = 0;
};

}  // namespace gdmount::vfs
