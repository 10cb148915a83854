// Reading a whole file through vfs::Filesystem (open, reads in pieces that
// are not a chunk multiple, release), for the integration tests.
#pragma once

#include <fcntl.h>

#include <catch2/catch.hpp>
#include <string>

#include "vfs/filesystem.h"

namespace gdmount::testing {

inline std::string ReadAllThrough(vfs::Filesystem& fs, uint64_t ino,
                                  size_t piece = 70000) {
  auto opened = fs.Open(ino, O_RDONLY);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  std::string out, buf(piece, '\0');
  for (int64_t off = 0;;) {
    auto n = fs.Read(opened->fh, off, buf.data(), buf.size());
    REQUIRE(n.ok());
    if (*n == 0) break;
    out.append(buf.data(), *n);
    off += static_cast<int64_t>(*n);
  }
  fs.Release(opened->fh);
  return out;
}

}  // namespace gdmount::testing
