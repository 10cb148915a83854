#include "vfs/inode_table.h"

#include <cstdlib>

#include "gdmount/log.h"

namespace gdmount::vfs {
namespace {

[[noreturn]] void BrokenInvariant(const std::string& what) {
  GDMOUNT_LOG(kError) << "inode table: " << what;
  std::abort();
}

}  // namespace

InodeTable::InodeTable(std::string root_id) {
  nodes_[kRootIno] = Node{std::move(root_id), 1, 0};
}

void InodeTable::Ref(uint64_t ino, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Node& n = nodes_[ino];
  if (n.id.empty()) {
    n.id = id;
  } else if (n.id != id) {
    BrokenInvariant("inode " + std::to_string(ino) + " is " + n.id + ", not " +
                    id);
  }
  ++n.nlookup;
}

void InodeTable::DropIfUnused(std::unordered_map<uint64_t, Node>::iterator it,
                              bool* dropped) {
  if (it->first != kRootIno && it->second.nlookup == 0 &&
      it->second.open == 0) {
    nodes_.erase(it);
    *dropped = true;
  }
}

bool InodeTable::Forget(uint64_t ino, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end() || it->second.nlookup < n)
    BrokenInvariant(
        "forget " + std::to_string(n) + " of inode " + std::to_string(ino) +
        " with " + std::to_string(it == nodes_.end() ? 0 : it->second.nlookup) +
        " references");
  it->second.nlookup -= n;
  bool dropped = false;
  DropIfUnused(it, &dropped);
  return dropped;
}

void InodeTable::OpenHandle(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end())
    BrokenInvariant("open of unknown inode " + std::to_string(ino));
  ++it->second.open;
}

bool InodeTable::CloseHandle(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end() || it->second.open == 0)
    BrokenInvariant("release of inode " + std::to_string(ino) +
                    " without an open handle");
  --it->second.open;
  bool dropped = false;
  DropIfUnused(it, &dropped);
  return dropped;
}

std::optional<std::string> InodeTable::IdOf(uint64_t ino) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return std::nullopt;
  return it->second.id;
}

uint64_t InodeTable::LookupCount(uint64_t ino) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? 0 : it->second.nlookup;
}

size_t InodeTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.size();
}

}  // namespace gdmount::vfs
