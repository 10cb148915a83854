// The present-chunk map persisted next to each cache file ("<name>.map"), so
// a restart keeps what was cached. The map is small (one bit per chunk plus
// the file's identity) and is replaced atomically (write tmp + rename)
// whenever the set of present chunks changes; see content_cache.h for the
// ordering rules that keep it from claiming bytes that are not on disk.
//
// Text format, one "key=value" per line, every string hex-encoded so ids
// and versions can hold any byte:
//
//   gdmount-cache-map=1
//   id=<hex>  version=<hex>  md5=<hex of the ASCII md5, may be empty>
//   size=<bytes>  chunk_size=<bytes>  verified=<0|1>
//   present=<hex bitmap: chunk i is bit (i % 8) of byte i / 8>
//   end=1
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::cache {

struct ChunkMapRecord {
  std::string id;
  std::string version;
  std::string md5;
  int64_t size = 0;
  int64_t chunk_size = 0;
  bool verified = false;      // whole-file md5 matched
  std::vector<bool> present;  // one per chunk: ceil(size / chunk_size)
};

// Number of chunks of a file: ceil(size / chunk_size). REQUIRES
// chunk_size > 0, size >= 0.
int64_t ChunkCount(int64_t size, int64_t chunk_size);

std::string EncodeChunkMap(const ChunkMapRecord& record);

// Corruption when the text is not a complete, self-consistent map (unknown
// version, missing or malformed field, bitmap of the wrong length or with
// bits past the last chunk).
Result<ChunkMapRecord> DecodeChunkMap(std::string_view text);

}  // namespace gdmount::cache
