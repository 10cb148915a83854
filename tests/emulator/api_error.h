// Drive's error responses, and ApiOr<T>: a value or the error Drive would send.
//
// Every failure the emulator reports goes through ApiError so the body always
// has Google's shape: {"error": {"code", "message", "errors": [{"domain",
// "reason", "message", "locationType", "location"}], "status"}}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>

namespace gdmount::emulator {

struct ApiError {
  ApiError() = default;
  ApiError(int status_code, std::string why, std::string text,
           std::string error_domain = "global", std::string where = "",
           std::string where_type = "")
      : status(status_code),
        reason(std::move(why)),
        message(std::move(text)),
        domain(std::move(error_domain)),
        location(std::move(where)),
        location_type(std::move(where_type)) {}

  int status = 500;
  std::string reason;
  std::string message;
  std::string domain = "global";
  std::string location;
  std::string location_type;
  int64_t retry_after_s = -1;  // Retry-After header when >= 0
  std::string item_message;    // errors[0].message when it differs

  nlohmann::json ToJson() const;
};

// Common errors, worded as Drive words them.
ApiError FileNotFound(const std::string& id);
ApiError BadRequest(const std::string& message,
                    const std::string& reason = "badRequest",
                    const std::string& location = "",
                    const std::string& location_type = "parameter");
ApiError InvalidParameter(const std::string& name, const std::string& message);
ApiError Forbidden(const std::string& reason, const std::string& message,
                   const std::string& domain = "global");
ApiError InsufficientPermissions();
ApiError DriveNotFound(const std::string& drive_id);
ApiError StorageQuotaExceeded();
// `parents` in an update body (moves use addParents/removeParents).
ApiError ParentsNotWritable();
ApiError IncludeItemsWithoutSupportsAllDrives();
ApiError InternalError(const std::string& message = "Internal Error");

template <typename T>
class [[nodiscard]] ApiOr {
 public:
  ApiOr(T v) : v_(std::move(v)) {}         // NOLINT
  ApiOr(ApiError e) : v_(std::move(e)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, ApiError> v_;
};

struct Ok {};

}  // namespace gdmount::emulator
