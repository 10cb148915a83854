#include "tests/emulator/range.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

namespace gdmount::emulator {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Checks a satisfiable resolution and its exact range.
void CheckRange(const std::string& header, int64_t total, int64_t first,
                int64_t last) {
  INFO("Range: " << header << " total=" << total);
  RangeRequest r = ResolveRange(header, total);
  REQUIRE(r.kind == RangeKind::kSatisfiable);
  CHECK(r.range.first == first);
  CHECK(r.range.last == last);
}

RangeKind Kind(const std::string& header, int64_t total) {
  return ResolveRange(header, total).kind;
}

TEST_CASE("range: satisfiable single ranges", "[unit]") {
  CheckRange("bytes=500-999", 1000, 500, 999);
  CheckRange("bytes=0-0", 1000, 0, 0);
  CheckRange("bytes=0-4", 12, 0, 4);  // the Node check script
  CheckRange("bytes=999-999", 1000, 999, 999);
  CheckRange("bytes=500-", 1000, 500, 999);
  CheckRange("bytes=0-", 1, 0, 0);
  CheckRange("bytes=-500", 1000, 500, 999);
  CheckRange("bytes=-1", 1000, 999, 999);
  CheckRange("bytes=-1000", 1000, 0, 999);
  CheckRange("bytes=-1001", 1000, 0, 999);  // suffix longer than the file
  CheckRange("bytes=0-0", 1, 0, 0);
  CheckRange("bytes=-5", 1, 0, 0);
  CheckRange("bytes=007-010", 1000, 7, 10);  // leading zeros are digits
}

TEST_CASE("range: end past EOF is clamped", "[unit]") {
  // The Python client asks for chunksize+1 bytes and overruns on the last
  // chunk (protocol guide §4.2 / §14.2).
  CheckRange("bytes=0-300", 100, 0, 99);
  CheckRange("bytes=600-900", 614400, 600, 900);
  CheckRange("bytes=614000-614300", 614100, 614000, 614099);
  CheckRange("bytes=5-1000000", 10, 5, 9);
}

TEST_CASE("range: unsatisfiable", "[unit]") {
  CHECK(Kind("bytes=1000-", 1000) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=1000-1999", 1000) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=5000-6000", 1000) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=-0", 1000) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=-000", 1000) == RangeKind::kUnsatisfiable);
  RangeRequest r = ResolveRange("bytes=1000-", 1000);
  CHECK(r.range.first == 0);
  CHECK(r.range.last == -1);
}

TEST_CASE("range: every range of a 0-byte file is unsatisfiable", "[unit]") {
  for (const char* header :
       {"bytes=0-", "bytes=0-0", "bytes=0-300", "bytes=-1", "bytes=-0",
        "bytes=5-10", "bytes=0-99999999999999999999"}) {
    INFO(header);
    CHECK(Kind(header, 0) == RangeKind::kUnsatisfiable);
  }
  // ...but a header that is not a valid range is still ignored.
  CHECK(Kind("", 0) == RangeKind::kNone);
  CHECK(Kind("bytes=5-1", 0) == RangeKind::kNone);
  CHECK(Kind("items=0-1", 0) == RangeKind::kNone);
}

TEST_CASE("range: ignored (200 with the full body)", "[unit]") {
  const char* kIgnored[] = {
      "",
      "   ",
      "bytes",
      "bytes=",
      "bytes=-",
      "bytes=abc",
      "bytes=5",
      "bytes=a-b",
      "bytes=1-2-3",
      "bytes=--5",
      "bytes=+1-2",
      "bytes=1-+2",
      "bytes=-+2",
      "bytes=0x10-",
      "bytes=1 -2",
      "bytes =0-1",
      "bytes= 0-1x",
      "bytes:0-1",
      "items=0-1",
      "byte=0-1",
      "bytesx=0-1",
      "bytes=0-1,5-6",  // multiple ranges: not supported, send it all
      "bytes=0-1, -5",
      "bytes=,,",
      "bytes=500-499",  // first > last: invalid, ignored
      "bytes=99999999999999999999-5",
      "bytes=99999999999999999999-99999999999999999998",
  };
  for (const char* header : kIgnored) {
    INFO("Range: '" << header << "'");
    CHECK(Kind(header, 1000) == RangeKind::kNone);
  }
  RangeRequest r = ResolveRange("", 1000);
  CHECK(r.range.first == 0);
  CHECK(r.range.last == -1);
}

TEST_CASE("range: tolerated spellings", "[unit]") {
  CheckRange("BYTES=1-2", 10, 1, 2);
  CheckRange("Bytes=1-2", 10, 1, 2);
  CheckRange("  bytes=1-2\t", 10, 1, 2);
  CheckRange("bytes= 1-2 ", 10, 1, 2);
  CheckRange("bytes=1-2,", 10, 1, 2);  // empty list elements (RFC 7230 §7)
  CheckRange("bytes=, 1-2 ,", 10, 1, 2);
}

TEST_CASE("range: overflowing positions", "[unit]") {
  // A first-byte-pos beyond int64 is past any resource.
  CHECK(Kind("bytes=99999999999999999999-", 1000) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=9223372036854775808-", 1000) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=9223372036854775807-", kMax) == RangeKind::kUnsatisfiable);
  CHECK(Kind("bytes=99999999999999999999-999999999999999999999", 1000) ==
        RangeKind::kUnsatisfiable);
  // A huge last-byte-pos or suffix covers the rest of the resource.
  CheckRange("bytes=0-99999999999999999999", 1000, 0, 999);
  CheckRange("bytes=10-9223372036854775807", 1000, 10, 999);
  CheckRange("bytes=-99999999999999999999", 1000, 0, 999);
  CheckRange("bytes=-9223372036854775807", kMax, 0, kMax - 1);
  // Large but representable resources.
  CheckRange("bytes=9223372036854775805-", kMax, kMax - 2, kMax - 1);
  CheckRange("bytes=-2", kMax, kMax - 2, kMax - 1);
  CheckRange("bytes=0-", kMax, 0, kMax - 1);
}

TEST_CASE("range: negative total is treated as empty", "[unit]") {
  CHECK(Kind("bytes=0-", -5) == RangeKind::kUnsatisfiable);
}

TEST_CASE("range: response Content-Range", "[unit]") {
  CHECK(ContentRangeHeader({0, 99}, 1000) == "bytes 0-99/1000");
  CHECK(ContentRangeHeader({500, 999}, 1000) == "bytes 500-999/1000");
  CHECK(ContentRangeHeader({0, kMax - 1}, kMax) ==
        "bytes 0-9223372036854775806/9223372036854775807");
  CHECK(UnsatisfiedContentRangeHeader(1000) == "bytes */1000");
  CHECK(UnsatisfiedContentRangeHeader(0) == "bytes */0");
}

TEST_CASE("upload Content-Range: accepted forms", "[unit]") {
  SECTION("Python resumable chunks (protocol guide §14.2)") {
    auto r = ParseUploadContentRange("bytes 0-262143/614400");
    REQUIRE(r.ok());
    CHECK(r->has_bytes);
    CHECK(r->first == 0);
    CHECK(r->last == 262143);
    CHECK(r->total_known);
    CHECK(r->total == 614400);
    r = ParseUploadContentRange("bytes 524288-614399/614400");
    REQUIRE(r.ok());
    CHECK(r->first == 524288);
    CHECK(r->last == 614399);
    CHECK(r->total == 614400);
  }
  SECTION("unknown total") {
    auto r = ParseUploadContentRange("bytes 0-262143/*");
    REQUIRE(r.ok());
    CHECK(r->has_bytes);
    CHECK(r->last == 262143);
    CHECK_FALSE(r->total_known);
  }
  SECTION("status queries") {
    auto r = ParseUploadContentRange("bytes */1000000");
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_bytes);
    CHECK(r->total_known);
    CHECK(r->total == 1000000);
    r = ParseUploadContentRange("bytes */*");
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_bytes);
    CHECK_FALSE(r->total_known);
    r = ParseUploadContentRange("bytes */0");
    REQUIRE(r.ok());
    CHECK(r->total == 0);
  }
  SECTION("spelling and limits") {
    CHECK(ParseUploadContentRange("Bytes 0-0/1").ok());
    CHECK(ParseUploadContentRange("BYTES  0-0/1").ok());
    CHECK(ParseUploadContentRange(" bytes 0-0/1 ").ok());
    CHECK(ParseUploadContentRange("bytes 5-5/6").ok());
    auto r = ParseUploadContentRange(
        "bytes 0-9223372036854775806/9223372036854775807");
    REQUIRE(r.ok());
    CHECK(r->last == kMax - 1);
    CHECK(r->total == kMax);
  }
}

TEST_CASE("upload Content-Range: rejected", "[unit]") {
  const char* kRejected[] = {
      "",
      "bytes",
      "bytes ",
      "bytes=0-1/2",  // the request-Range spelling
      "bytes0-1/2",
      "items 0-1/2",
      "bytes 0-1",
      "bytes 0-1/",
      "bytes */",
      "bytes /5",
      "bytes 0-/5",
      "bytes -5/10",
      "bytes 1-0/5",  // last < first
      "bytes 0-5/5",  // last >= total
      "bytes 0-0/0",
      "bytes 0--1/0",  // Google rejects this for empty files (§5.3)
      "bytes -1-5/10",
      "bytes 0-1/-5",
      "bytes +0-1/5",
      "bytes 0-+1/5",
      "bytes 0-1/+5",
      "bytes 0-1/2x",
      "bytes a-b/c",
      "bytes 0-1/2/3",
      "bytes 0 -1/2",
      "bytes 0- 1/2",
      "bytes 0-1 /2",
      "bytes **/*",
      "bytes */**",
      "bytes 0x0-0x1/2",
      "bytes 0-1/99999999999999999999",
      "bytes 0-99999999999999999999/*",
      "bytes 99999999999999999999-99999999999999999999/*",
      "bytes 0-9223372036854775808/*",
      "bytes 0-9223372036854775807/*",  // last + 1 would overflow
      "bytes */9223372036854775808",
  };
  for (const char* header : kRejected) {
    INFO("Content-Range: '" << header << "'");
    auto r = ParseUploadContentRange(header);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace gdmount::emulator
