#include "tests/emulator/range.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "gdmount/status.h"

namespace gdmount::emulator {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// RFC 7230 OWS: spaces and horizontal tabs.
std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// Value of a digit string, or INT64_MAX (and *overflow = true) if it does
// not fit. REQUIRES: AllDigits(s).
int64_t ParseSaturating(std::string_view s, bool* overflow) {
  int64_t value = 0;
  *overflow = false;
  for (char c : s) {
    int digit = c - '0';
    if (value > (kInt64Max - digit) / 10) {
      *overflow = true;
      return kInt64Max;
    }
    value = value * 10 + digit;
  }
  return value;
}

int64_t ParseSaturating(std::string_view s) {
  bool overflow;
  return ParseSaturating(s, &overflow);
}

// Numeric comparison of two digit strings of any length (<0, 0, >0), so
// first > last is decided exactly even when both overflow int64_t.
int CompareDecimal(std::string_view a, std::string_view b) {
  a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
  b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

// The single non-empty element of a 1#range-spec list (RFC 7230 §7 allows
// empty elements); "" if there are none or several.
std::string_view SingleRangeSpec(std::string_view set) {
  std::string_view spec;
  int count = 0;
  size_t pos = 0;
  while (true) {
    size_t comma = set.find(',', pos);
    std::string_view element = TrimOws(
        set.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                        : comma - pos));
    if (!element.empty()) {
      spec = element;
      ++count;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return count == 1 ? spec : std::string_view();
}

}  // namespace

RangeRequest ResolveRange(std::string_view header, int64_t total) {
  const RangeRequest none{RangeKind::kNone, {0, -1}};
  const RangeRequest unsatisfiable{RangeKind::kUnsatisfiable, {0, -1}};
  if (total < 0) total = 0;

  constexpr std::string_view kPrefix = "bytes=";
  std::string_view h = TrimOws(header);
  if (!StartsWithIgnoreCase(h, kPrefix)) return none;
  std::string_view spec = SingleRangeSpec(h.substr(kPrefix.size()));
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return none;
  std::string_view first_digits = spec.substr(0, dash);
  std::string_view last_digits = spec.substr(dash + 1);

  if (first_digits.empty()) {  // suffix-byte-range-spec: the last n bytes
    if (!AllDigits(last_digits)) return none;
    int64_t n = ParseSaturating(last_digits);
    if (n == 0 || total == 0) return unsatisfiable;
    return {RangeKind::kSatisfiable, {n >= total ? 0 : total - n, total - 1}};
  }
  if (!AllDigits(first_digits)) return none;
  if (!last_digits.empty()) {
    if (!AllDigits(last_digits)) return none;
    if (CompareDecimal(first_digits, last_digits) > 0) return none;
  }
  int64_t first = ParseSaturating(first_digits);
  if (first >= total) return unsatisfiable;  // also every 0-byte resource
  int64_t last = total - 1;
  if (!last_digits.empty()) last = std::min(last, ParseSaturating(last_digits));
  return {RangeKind::kSatisfiable, {first, last}};
}

std::string ContentRangeHeader(ByteRange r, int64_t total) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) +
         "/" + std::to_string(total);
}

std::string UnsatisfiedContentRangeHeader(int64_t total) {
  return "bytes */" + std::to_string(total);
}

Result<UploadContentRange> ParseUploadContentRange(std::string_view header) {
  auto invalid = [header](const char* why) {
    return InvalidArgumentError("Invalid Content-Range header '" +
                                std::string(header) + "': " + why);
  };
  auto parse_number = [](std::string_view s, int64_t* out) {
    bool overflow = false;
    if (!AllDigits(s)) return false;
    *out = ParseSaturating(s, &overflow);
    return !overflow;
  };

  std::string_view h = TrimOws(header);
  constexpr std::string_view kUnit = "bytes";
  if (!StartsWithIgnoreCase(h, kUnit) || h.substr(kUnit.size(), 1) != " ") {
    return invalid("expected 'bytes '");
  }
  std::string_view rest = h.substr(kUnit.size());
  rest.remove_prefix(rest.find_first_not_of(' '));  // h is trimmed: not npos
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return invalid("expected '/'");
  std::string_view range = rest.substr(0, slash);
  std::string_view total = rest.substr(slash + 1);

  UploadContentRange r{false, 0, 0, false, 0};
  if (total != "*") {
    if (!parse_number(total, &r.total)) return invalid("bad total length");
    r.total_known = true;
  }
  if (range == "*") return r;
  size_t dash = range.find('-');
  if (dash == std::string_view::npos ||
      !parse_number(range.substr(0, dash), &r.first) ||
      !parse_number(range.substr(dash + 1), &r.last)) {
    return invalid("bad byte range");
  }
  if (r.last < r.first) return invalid("last byte before first byte");
  if (r.last == kInt64Max) return invalid("last byte too large");
  if (r.total_known && r.last >= r.total) {
    return invalid("last byte not below the total length");
  }
  r.has_bytes = true;
  return r;
}

}  // namespace gdmount::emulator
