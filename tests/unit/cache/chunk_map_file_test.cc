// The persisted present-chunk map: round trip and rejection of anything
// that is not a complete, consistent map.
#include "cache/chunk_map_file.h"

#include <catch2/catch.hpp>
#include <string>

namespace gdmount::cache {
namespace {

ChunkMapRecord Sample() {
  ChunkMapRecord r;
  r.id = "id with\nnewline=and/slash";
  r.version = "0cc175b9c0f1b6a831c399e269772661";
  r.md5 = r.version;
  r.size = 10 * 4096 + 1;  // 11 chunks
  r.chunk_size = 4096;
  r.verified = true;
  r.present.assign(11, false);
  r.present[0] = r.present[7] = r.present[10] = true;
  return r;
}

TEST_CASE("chunk map round-trips", "[unit][cache]") {
  ChunkMapRecord r = Sample();
  Result<ChunkMapRecord> back = DecodeChunkMap(EncodeChunkMap(r));
  REQUIRE(back.ok());
  CHECK(back->id == r.id);
  CHECK(back->version == r.version);
  CHECK(back->md5 == r.md5);
  CHECK(back->size == r.size);
  CHECK(back->chunk_size == r.chunk_size);
  CHECK(back->verified);
  CHECK(back->present == r.present);
}

TEST_CASE("chunk map of an empty file and without md5", "[unit][cache]") {
  ChunkMapRecord r;
  r.id = "x";
  r.chunk_size = 8 << 20;
  Result<ChunkMapRecord> back = DecodeChunkMap(EncodeChunkMap(r));
  REQUIRE(back.ok());
  CHECK(back->present.empty());
  CHECK(back->md5.empty());
  CHECK(ChunkCount(0, 4096) == 0);
  CHECK(ChunkCount(4096, 4096) == 1);
  CHECK(ChunkCount(4097, 4096) == 2);
}

TEST_CASE("damaged chunk maps are Corruption", "[unit][cache]") {
  std::string good = EncodeChunkMap(Sample());
  auto bad = [](const std::string& text) {
    return DecodeChunkMap(text).status().code() == StatusCode::kCorruption;
  };
  CHECK(bad(""));
  CHECK(bad("garbage"));
  CHECK(bad(good.substr(0, good.size() / 2)));     // truncated
  CHECK(bad(good.substr(0, good.find("end=1"))));  // no end marker
  std::string replaced = good;
  replaced.replace(replaced.find("size=") + 5, 1, "9");  // bitmap too short
  CHECK(bad(replaced));
  replaced = good;
  replaced.replace(replaced.find("chunk_size=") + 11, 4, "0000");
  CHECK(bad(replaced));
  replaced = good;
  replaced.replace(replaced.find("gdmount-cache-map=1"), 19,
                   "gdmount-cache-map=2");
  CHECK(bad(replaced));
  replaced = good;
  replaced.replace(replaced.find("verified=1"), 10, "verified=7");
  CHECK(bad(replaced));
  // A bit past the last chunk (chunk 11 of 11) is refused.
  ChunkMapRecord r = Sample();
  std::string text = EncodeChunkMap(r);
  size_t at = text.find("present=") + 8;
  text.replace(at + 2, 2, "0c");  // byte 1: bits 2 and 3 -> chunks 10, 11
  CHECK(bad(text));
  CHECK(bad(good + "size=1\n"));  // repeated key
}

}  // namespace
}  // namespace gdmount::cache
