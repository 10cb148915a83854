#include "drive/errors.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "drive/json_codec.h"

namespace gdmount::drive {
namespace {

using json = nlohmann::json;

constexpr std::string_view kDailyLimit = "dailyLimitExceeded";
constexpr std::string_view kDownloadQuota = "downloadQuotaExceeded";
constexpr std::string_view kRangeNotSatisfiable =
    "requestedRangeNotSatisfiable";

// The string at obj[key], or "" when obj is not an object or the member is
// missing or not a string.
std::string StringMember(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get_ref<const std::string&>();
}

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Length of the UTF-8 sequence starting at s[i], 0 if it is malformed
// (structural check only: lead byte, length, continuation bytes).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xE  ? 3
                   : (c >> 3) == 0x1E ? 4
                                      : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if (!IsContinuationByte(s[i + k])) return 0;
  }
  return n;
}

// Drops control characters (line breaks and tabs become one space), turns
// malformed UTF-8 into '?', and truncates to kMaxServerMessage bytes without
// splitting a character: the text ends up in one-line logs and reports.
std::string Sanitize(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxServerMessage + 3));
  for (size_t i = 0; i < text.size() && out.size() <= kMaxServerMessage;) {
    const size_t n = Utf8SequenceLength(text, i);
    const char c = text[i];
    if (n > 1) {
      out.append(text.substr(i, n));
    } else if (n == 0) {
      out.push_back('?');
    } else if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) {
      out.push_back(c);
    }
    i += std::max<size_t>(n, 1);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kMaxServerMessage) {
    size_t cut = kMaxServerMessage;
    while (cut > 0 && IsContinuationByte(out[cut])) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

StatusCode Map403(const std::string& reason, const std::string& status) {
  struct Entry {
    std::string_view reason;
    StatusCode code;
  };
  static constexpr std::array<Entry, 18> kTable = {{
      {"userRateLimitExceeded", StatusCode::kRateLimited},
      {"rateLimitExceeded", StatusCode::kRateLimited},
      {"sharingRateLimitExceeded", StatusCode::kRateLimited},
      {kDailyLimit, StatusCode::kRateLimited},
      {"storageQuotaExceeded", StatusCode::kQuotaExceeded},
      {"quotaExceeded", StatusCode::kQuotaExceeded},
      {"teamDriveFileLimitExceeded", StatusCode::kQuotaExceeded},
      {"numChildrenInNonRootLimitExceeded", StatusCode::kQuotaExceeded},
      {"activeItemCreationLimitExceeded", StatusCode::kQuotaExceeded},
      {"myDriveHierarchyDepthLimitExceeded", StatusCode::kInvalidArgument},
      {"teamDriveHierarchyTooDeep", StatusCode::kInvalidArgument},
      {"cannotAddParent", StatusCode::kInvalidArgument},
      {"teamDrivesParentLimit", StatusCode::kInvalidArgument},
      {"fieldNotWritable", StatusCode::kInvalidArgument},
      {"fileNotDownloadable", StatusCode::kNotSupported},
      {"fileNotExportable", StatusCode::kNotSupported},
      {"exportSizeLimitExceeded", StatusCode::kNotSupported},
      {kDownloadQuota, StatusCode::kUnavailable},
  }};
  // Newer responses may carry only the gRPC-style status.
  if (reason.empty() && status == "RESOURCE_EXHAUSTED") {
    return StatusCode::kRateLimited;
  }
  for (const Entry& e : kTable) {
    if (e.reason == reason) return e.code;
  }
  return StatusCode::kPermissionDenied;
}

StatusCode MapHttp(int http, const ErrorDetails& d) {
  switch (http) {
    case 400:
    case 416:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return Map403(d.reason, d.status);
    case 404:
    case 410:
      return StatusCode::kNotFound;
    case 408:
      return StatusCode::kUnavailable;
    case 409:
      return StatusCode::kAlreadyExists;
    case 412:
      return StatusCode::kPreconditionFailed;
    case 429:
      return StatusCode::kRateLimited;
    default:
      break;
  }
  if (http >= 500 && http <= 599) return StatusCode::kUnavailable;
  return StatusCode::kIo;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate) -> ms since epoch.
std::optional<int64_t> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays = {
      "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun",
      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_ok = false;
  for (std::string_view d : kDays) day_ok = day_ok || s.substr(0, 3) == d;
  std::string month;  // "01".."12"
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = std::to_string(101 + i).substr(1);
  }
  if (!day_ok || month.empty()) return std::nullopt;
  // Reuse the strict RFC 3339 parser for digits and calendar validation.
  const std::string rfc = std::string(s.substr(12, 4)) + "-" + month + "-" +
                          std::string(s.substr(5, 2)) + "T" +
                          std::string(s.substr(17, 8)) + "Z";
  Result<int64_t> ms = ParseRfc3339(rfc);
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

}  // namespace

ErrorDetails ParseErrorBody(std::string_view body) {
  ErrorDetails d;
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return d;
  auto err = doc.find("error");
  if (err == doc.end()) return d;
  if (err->is_string()) {  // OAuth 2.0 (RFC 6749 section 5.2) shape
    d.reason = err->get_ref<const std::string&>();
    d.message = StringMember(doc, "error_description");
    return d;
  }
  d.message = StringMember(*err, "message");
  d.status = StringMember(*err, "status");
  if (!err->is_object()) return d;
  auto errors = err->find("errors");
  if (errors != err->end() && errors->is_array() && !errors->empty()) {
    const json& first = errors->front();
    d.reason = StringMember(first, "reason");
    d.location = StringMember(first, "location");
    d.domain = StringMember(first, "domain");
    if (d.message.empty()) d.message = StringMember(first, "message");
  }
  return d;
}

std::string ErrorReason(std::string_view body) {
  return ParseErrorBody(body).reason;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view header, std::chrono::system_clock::time_point now) {
  using std::chrono::milliseconds;
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty()) return std::nullopt;
  const int64_t max_s =
      std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryAfter).count();
  if (header.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t seconds = 0;
    for (char c : header) {
      seconds = std::min<int64_t>(seconds * 10 + (c - '0'), max_s);
    }
    return milliseconds(seconds * 1000);
  }
  std::optional<int64_t> when_ms = ParseImfFixdate(header);
  if (!when_ms) return std::nullopt;
  const int64_t now_ms =
      std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
  const int64_t delta = std::clamp<int64_t>(*when_ms - now_ms, 0, max_s * 1000);
  return milliseconds(delta);
}

Status StatusFromHttp(int http_status, std::string_view body,
                      std::string_view retry_after_header, Clock* clock) {
  if (http_status >= 200 && http_status <= 299) return Status::Ok();
  ErrorDetails d = ParseErrorBody(body);
  if (http_status == 416 && d.reason.empty()) {
    d.reason = std::string(kRangeNotSatisfiable);
  }
  std::string text = Sanitize(d.message);
  if (text.empty() && !body.empty()) {
    // Not Google's shape (proxy HTML, plain text): keep a snippet to debug.
    text = Sanitize(body);
  }
  if (text.empty()) text = "(empty body)";
  std::string message = std::to_string(http_status);
  if (!d.reason.empty()) message += " " + Sanitize(d.reason);
  message += ": " + text;

  Status status(MapHttp(http_status, d), std::move(message));
  status.set_http_status(http_status);
  if (!retry_after_header.empty()) {
    if (clock == nullptr) clock = RealClock();
    auto delay = ParseRetryAfter(retry_after_header, clock->SystemNow());
    if (delay) status.set_retry_after(*delay);
  }
  return status;
}

bool HasReason(const Status& status, std::string_view reason) {
  if (status.ok() || reason.empty()) return false;
  const std::string prefix =
      std::to_string(status.http_status()) + " " + std::string(reason) + ":";
  return status.message().compare(0, prefix.size(), prefix) == 0;
}

bool IsDailyLimit(const Status& status) {
  return status.code() == StatusCode::kRateLimited &&
         HasReason(status, kDailyLimit);
}

bool IsDownloadQuota(const Status& status) {
  return status.code() == StatusCode::kUnavailable &&
         HasReason(status, kDownloadQuota);
}

bool IsTransient(const Status& status) {
  switch (status.code()) {
    case StatusCode::kRateLimited:
      return !IsDailyLimit(status);
    case StatusCode::kUnavailable:
      return !IsDownloadQuota(status);
    default:
      return false;
  }
}

}  // namespace gdmount::drive
