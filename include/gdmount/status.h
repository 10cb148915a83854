// Status: the error vocabulary of gdmount.
//
// A Status is a code plus a human-readable message (and, for errors that came
// from HTTP, the status code and a server-suggested retry delay). The OK path
// holds no allocation. Statuses are values: copy them freely.
// Thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace gdmount {

enum class StatusCode {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kNotEmpty,
  kPermissionDenied,
  kUnauthenticated,
  kRateLimited,
  kUnavailable,
  kQuotaExceeded,
  kPreconditionFailed,
  kInvalidArgument,
  kNotSupported,
  kCancelled,
  kReadOnly,      // a write on a read-only mount or item
  kIsDirectory,   // a file operation on a folder
  kNotDirectory,  // a folder operation on a file
  kFileTooLarge,  // past the largest file Drive stores
  kIo,
  kCorruption,
  kInternal,
};

// Stable lower-case name of a code ("not_found"), for logs and JSON.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // HTTP status that produced this error, 0 if none.
  int http_status() const { return http_status_; }
  Status& set_http_status(int s) {
    http_status_ = s;
    return *this;
  }
  // Delay the server asked for (Retry-After), if any.
  std::optional<std::chrono::milliseconds> retry_after() const {
    return retry_after_;
  }
  Status& set_retry_after(std::chrono::milliseconds d) {
    retry_after_ = d;
    return *this;
  }

  // "not_found: File not found: x" (or "ok").
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int http_status_ = 0;
  std::optional<std::chrono::milliseconds> retry_after_;
};

inline Status NotFoundError(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status InternalError(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}
inline Status IoError(std::string m) {
  return Status(StatusCode::kIo, std::move(m));
}

}  // namespace gdmount
