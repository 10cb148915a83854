#include "util/mountinfo.h"

#include <fstream>
#include <sstream>

namespace gdmount::util {

std::string DecodeMountPath(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' &&
        s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                               (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

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
    e.point = DecodeMountPath(e.point);
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
