// Drive HTTP answers -> Status: the one table that turns an HTTP status code
// plus Google's JSON error body into gdmount's error vocabulary (STYLE.md
// section 3, protocol guide section 10), and the retry classification the
// retry loop (src/drive/retry.h) relies on.
//
// Error bodies come in three shapes, all tolerated:
//   Google:  {"error":{"code":403,"message":"...","status":"PERMISSION_DENIED",
//             "errors":[{"domain","reason","message","location",...}]}}
//            (the `errors` array may be missing)
//   OAuth:   {"error":"invalid_token","error_description":"..."}
//   other:   HTML from a proxy, plain text, empty, malformed JSON.
//
// Status message format: "<http> <reason>: <message>", e.g.
//   "403 storageQuotaExceeded: The user's Drive storage quota has been ..."
// or "<http>: <message>" when the body names no reason. The server message
// is sanitised (control characters removed) and truncated to
// kMaxServerMessage bytes. Callers must not parse messages; use the
// functions below.
//
// Thread safety: all functions are thread-safe (no shared state).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "gdmount/clock.h"
#include "gdmount/status.h"

namespace gdmount::drive {

// Longest server-provided text copied into a Status message. Enough for any
// Drive message seen in practice; bounds log lines for proxy HTML pages.
inline constexpr size_t kMaxServerMessage = 200;

// Longest Retry-After honoured; larger values are clamped. The retry budget,
// not the server, decides whether waiting that long is worth it.
inline constexpr std::chrono::hours kMaxRetryAfter{24};

// The interesting parts of an error body; empty strings when absent.
struct ErrorDetails {
  std::string reason;    // errors[0].reason, or the OAuth `error` string
  std::string message;   // error.message (or errors[0].message, or the
                         // OAuth error_description); unsanitised
  std::string location;  // errors[0].location, e.g. "pageToken", "q"
  std::string domain;    // errors[0].domain, e.g. "usageLimits"
  std::string status;    // error.status, e.g. "PERMISSION_DENIED"
};

// Parses any of the three body shapes above. Never fails: unparsable input
// yields empty details.
ErrorDetails ParseErrorBody(std::string_view body);

// errors[0].reason (or the OAuth `error` string, e.g. "invalid_grant"), ""
// when the body has none. Callers use it to tell apart e.g. 409 `duplicate`
// or 400 `invalid` (then check ParseErrorBody().location == "pageToken").
std::string ErrorReason(std::string_view body);

// Maps an HTTP answer to a Status. 2xx -> OK (body and header ignored).
// Otherwise the result has http_status() == http_status and, when
// `retry_after_header` is a valid delta-seconds or IMF-fixdate HTTP-date
// ("Sun, 06 Nov 1994 08:49:37 GMT"), retry_after() set (a date in the past
// gives 0 ms; an invalid header is ignored). `clock` (nullptr: RealClock())
// is read only to turn an HTTP-date into a delay.
//
// Mapping (reason = errors[0].reason):
//   400 (any reason)                            InvalidArgument
//   401                                         Unauthenticated
//   403 userRateLimitExceeded, rateLimitExceeded,
//       sharingRateLimitExceeded                RateLimited
//   403 dailyLimitExceeded                      RateLimited (not transient)
//   403 storageQuotaExceeded, quotaExceeded, teamDriveFileLimitExceeded,
//       numChildrenInNonRootLimitExceeded,
//       activeItemCreationLimitExceeded         QuotaExceeded
//   403 myDriveHierarchyDepthLimitExceeded, teamDriveHierarchyTooDeep,
//       cannotAddParent, teamDrivesParentLimit,
//       fieldNotWritable                        InvalidArgument
//   403 fileNotDownloadable, fileNotExportable,
//       exportSizeLimitExceeded                 NotSupported
//   403 downloadQuotaExceeded                   Unavailable (not transient)
//   403 without a reason but with error.status
//       "RESOURCE_EXHAUSTED"                    RateLimited
//   403 any other reason (insufficientFilePermissions, domainPolicy, ...)
//                                               PermissionDenied
//   404, 410                                    NotFound
//   408                                         Unavailable
//   409                                         AlreadyExists
//   412                                         PreconditionFailed
//   416                                         InvalidArgument, reason
//                                               requestedRangeNotSatisfiable
//                                               (filled in when absent)
//   429 (any reason)                            RateLimited
//   5xx                                         Unavailable
//   anything else (1xx, 3xx, other 4xx)         Io
Status StatusFromHttp(int http_status, std::string_view body,
                      std::string_view retry_after_header = "",
                      Clock* clock = nullptr);

// Parses a Retry-After value: delta-seconds ("120") or an IMF-fixdate
// relative to `now`. nullopt when invalid. Clamped to [0, kMaxRetryAfter].
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view header, std::chrono::system_clock::time_point now);

// True when `status` came from StatusFromHttp (or an identical message) with
// errors[0].reason == `reason` (or the reason StatusFromHttp filled in).
bool HasReason(const Status& status, std::string_view reason);

// RateLimited because the project's daily quota is spent
// (dailyLimitExceeded): retrying within minutes cannot succeed.
bool IsDailyLimit(const Status& status);
// Unavailable because the file's download quota is spent
// (downloadQuotaExceeded): clears after hours, not seconds.
bool IsDownloadQuota(const Status& status);

// Whether a retry with backoff may succeed. Exactly:
//   RateLimited  -> true, unless IsDailyLimit()
//   Unavailable  -> true, unless IsDownloadQuota()  (includes 5xx, 408, and
//                   transport timeouts the HTTP layer reports as Unavailable)
//   every other code (incl. OK, Unauthenticated, Io) -> false.
// Unauthenticated is handled separately by the retry loop (refresh the token
// once, retry once). Whether the *operation* may be repeated (idempotency)
// is the caller's decision, not this function's.
bool IsTransient(const Status& status);

}  // namespace gdmount::drive
