// The mount table of this process (/proc/self/mountinfo), read without
// touching any mount point (a stat of a hung FUSE mount would block).
#pragma once

#include <string>
#include <vector>

namespace gdmount::util {

struct MountEntry {
  std::string device;  // "MAJ:MIN"
  std::string point;   // where it is mounted (the kernel's \ooo decoded)
  std::string type;    // "fuse.gdmount", "ext4", ...
};

// In mount order: for one point, a later entry is mounted over earlier
// ones. Empty if the table cannot be read.
std::vector<MountEntry> ReadMountTable();

// The kernel writes space, tab, newline and backslash in mount paths as
// \ooo (octal); this undoes it.
std::string DecodeMountPath(const std::string& escaped);

// The entry on top at exactly `point`, if any.
const MountEntry* MountAt(const std::vector<MountEntry>& table,
                          const std::string& point);

}  // namespace gdmount::util
