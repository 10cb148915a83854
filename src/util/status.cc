#include "gdmount/status.h"

namespace gdmount {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kNotEmpty:
      return "not_empty";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kRateLimited:
      return "rate_limited";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kQuotaExceeded:
      return "quota_exceeded";
    case StatusCode::kPreconditionFailed:
      return "precondition_failed";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotSupported:
      return "not_supported";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kReadOnly:
      return "read_only";
    case StatusCode::kIsDirectory:
      return "is_directory";
    case StatusCode::kNotDirectory:
      return "not_directory";
    case StatusCode::kFileTooLarge:
      return "file_too_large";
    case StatusCode::kIo:
      return "io";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = StatusCodeName(code_);
  if (!message_.empty()) s += ": " + message_;
  return s;
}

}  // namespace gdmount
