// InodeTable: the inodes the kernel currently holds references to.
//
// Design note. Inode numbers themselves are stable and come from the
// metadata store (the same Drive id has the same number on every mount);
// this table only tracks the kernel's lookup count per inode (STYLE.md
// section 5): +1 for every entry reply (lookup, readdirplus entry, create,
// mkdir, ...), -n on forget/forget_multi, and the node is dropped only at 0
// with no open handle. The root (inode 1) is always present and never
// dropped. Dropping below zero is a kernel/daemon disagreement: a broken
// invariant that is logged and aborts.
//
// Thread safety: thread-safe; one internal mutex, held only for map
// operations (never across I/O or callbacks).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace gdmount::vfs {

inline constexpr uint64_t kRootIno = 1;  // FUSE_ROOT_ID

class InodeTable {
 public:
  explicit InodeTable(std::string root_id);

  // The kernel was handed `ino` (for Drive item `id`) in an entry reply.
  void Ref(uint64_t ino, const std::string& id);
  // The kernel forgot `n` references. Returns true if the node was dropped.
  bool Forget(uint64_t ino, uint64_t n);

  // Handles keep a node alive even at lookup count 0 (an unlinked-but-open
  // file). REQUIRES: the node exists (it is referenced or open).
  void OpenHandle(uint64_t ino);
  // Returns true if the node was dropped (last handle, no references).
  bool CloseHandle(uint64_t ino);

  // The Drive id behind a live inode; nullopt for an unknown inode.
  std::optional<std::string> IdOf(uint64_t ino) const;
  uint64_t LookupCount(uint64_t ino) const;
  size_t size() const;

 private:
  struct Node {
    std::string id;
    uint64_t nlookup = 0;
    uint64_t open = 0;
  };
  void DropIfUnused(std::unordered_map<uint64_t, Node>::iterator it,
                    bool* dropped);

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Node> nodes_;  // GUARDED_BY(mu_)
};

}  // namespace gdmount::vfs
