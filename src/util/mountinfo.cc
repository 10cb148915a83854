#include "util/mountinfo.h"

#include <fstream>
#include <sstream>

namespace gdmount::util {

std::vector<MountEntry> ReadMountTable() {
  std::vector<MountEntry> out;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE ...
    std::istringstream f(line);
    std::string id, parent, root, field;
    MountEntry e;
    if (!(f >> id >> parent >> e.device >> root >> e.point)) continue;
    while (f >> field && field != "-") {
    }
    f >> e.type;
    out.push_back(std::move(e));
  }
  return out;
}

const MountEntry* MountAt(const std::vector<MountEntry>& table,
                          const std::string& point) {
  const MountEntry* top = nullptr;
  for (const MountEntry& e : table)
    if (e.point == point) top = &e;
  return top;
}

}  // namespace gdmount::util
