// FileKey: which version of which Drive file's content the cache holds.
// A plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>

namespace gdmount::cache {

// Identifies one version of one file's content.
struct FileKey {
  std::string id;  // Drive file id
  // The content version: md5Checksum, else headRevisionId, else the file's
  // version number. Different versions never share cached bytes.
  std::string version;
  int64_t size = 0;  // bytes; reads are clamped to it
  std::string md5;   // md5Checksum (lower-case hex), "" when Drive has none
};

}  // namespace gdmount::cache
