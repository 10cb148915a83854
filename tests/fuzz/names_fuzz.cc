// Fuzz target: the names a folder's children get in the mount
// (vfs/name_rules.h) from whatever names Drive holds: empty, ".", "..",
// slashes, NULs, over 255 bytes, invalid UTF-8, duplicates. Every visible
// child must get a name the kernel accepts, and no two the same.
#include <set>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_input.h"
#include "vfs/name_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gdmount;
  using namespace gdmount::fuzz;
  static const char* const kMimes[] = {
      "application/octet-stream",
      "application/vnd.google-apps.folder",
      "application/vnd.google-apps.document",
      "application/vnd.google-apps.spreadsheet",
      "application/vnd.google-apps.form",
      "application/vnd.google-apps.shortcut",
      "text/plain",
  };
  FuzzInput in(data, size);
  std::vector<vfs::NameInput> children;
  while (!in.empty() && children.size() < 64) {
    vfs::NameInput c;
    c.id = "id" + std::to_string(children.size());
    c.mime_type = kMimes[in.Byte() % 7];
    c.created_ms = in.Byte();
    c.name = in.String(600);
    children.push_back(std::move(c));
  }
  std::vector<std::string> names =
      vfs::DisplayNames(children, vfs::DefaultExportMap());
  FUZZ_CHECK(names.size() == children.size(), "");
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (n.empty()) {  // hidden: only native types without an export
      FUZZ_CHECK(children[i].mime_type == kMimes[4], children[i].name);
      continue;
    }
    FUZZ_CHECK(n != "." && n != "..", n);
    FUZZ_CHECK(n.size() <= vfs::kMaxNameBytes, n);
    FUZZ_CHECK(n.find('/') == std::string::npos, n);
    FUZZ_CHECK(n.find('\0') == std::string::npos, n);
    FUZZ_CHECK(seen.insert(n).second, n);
  }
  return 0;
}
