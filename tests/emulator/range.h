// Byte ranges for the emulator: the `Range` header of a download (protocol
// guide §4.2, RFC 7233 single range) and the `Content-Range` header of a
// resumable-upload PUT (§5.3).
//
// Numbers are decimal digits only (no sign, no whitespace inside). A Range
// position too large for int64_t is not an error: it is simply past any
// resource, so a huge first-byte-pos is unsatisfiable and a huge
// last-byte-pos or suffix length covers the rest of the resource. An upload
// Content-Range, in contrast, must fit in int64_t or it is rejected.
//
// Stateless; safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gdmount/result.h"

namespace gdmount::emulator {

struct ByteRange {
  int64_t first;
  int64_t last;  // inclusive
};

enum class RangeKind {
  kNone,           // no usable Range: answer 200 with the full body
  kSatisfiable,    // answer 206 with `range`
  kUnsatisfiable,  // answer 416 with UnsatisfiedContentRangeHeader(total)
};

struct RangeRequest {
  RangeKind kind;
  ByteRange range;  // valid for kSatisfiable only; {0, -1} otherwise
};

// Resolves a request `Range` header against a resource of `total` bytes.
// Accepts `bytes=a-b`, `bytes=a-` and `bytes=-n` (unit case-insensitive,
// optional whitespace around the range-spec).
//   kNone: empty header, syntax error, a unit other than bytes, more than one
//     range, or first > last (RFC 7233: an invalid Range is ignored).
//   kUnsatisfiable: first >= total, any range of a 0-byte resource, or the
//     suffix `-0`.
//   kSatisfiable: last clamped to total-1; a suffix longer than the resource
//     selects all of it.
// REQUIRES: total >= 0 (a negative total is treated as 0).
RangeRequest ResolveRange(std::string_view header, int64_t total);

// "bytes <first>-<last>/<total>", the Content-Range of a 206.
std::string ContentRangeHeader(ByteRange r, int64_t total);

// "bytes */<total>", the Content-Range of a 416.
std::string UnsatisfiedContentRangeHeader(int64_t total);

// A resumable-upload request's Content-Range.
struct UploadContentRange {
  bool has_bytes;    // false for "bytes */N" and "bytes */*" (status query)
  int64_t first;     // valid if has_bytes
  int64_t last;      // inclusive; valid if has_bytes
  bool total_known;  // false for ".../*"
  int64_t total;     // valid if total_known
};

// Parses "bytes a-b/N", "bytes a-b/*", "bytes */N" or "bytes */*" (unit
// case-insensitive, one or more spaces after it, surrounding whitespace
// ignored). Returns InvalidArgument for anything else, for b < a, b >= N,
// signs, or a number that overflows int64_t. `last` is also kept below
// INT64_MAX so that callers can compute last + 1.
Result<UploadContentRange> ParseUploadContentRange(std::string_view header);

}  // namespace gdmount::emulator
