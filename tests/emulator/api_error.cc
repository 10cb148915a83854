#include "tests/emulator/api_error.h"

namespace gdmount::emulator {
namespace {

const char* CanonicalStatus(int http) {
  switch (http) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ALREADY_EXISTS";
    case 412:
      return "FAILED_PRECONDITION";
    case 416:
      return "OUT_OF_RANGE";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    default:
      return http >= 500 ? "INTERNAL" : "UNKNOWN";
  }
}

}  // namespace

nlohmann::json ApiError::ToJson() const {
  nlohmann::json item = {
      {"domain", domain},
      {"reason", reason},
      {"message", item_message.empty() ? message : item_message}};
  if (!location_type.empty()) item["locationType"] = location_type;
  if (!location.empty()) item["location"] = location;
  return {{"error",
           {{"code", status},
            {"message", message},
            {"errors", nlohmann::json::array({item})},
            {"status", CanonicalStatus(status)}}}};
}

ApiError FileNotFound(const std::string& id) {
  return ApiError{404,      "notFound", "File not found: " + id + ".",
                  "global", "fileId",   "parameter"};
}

ApiError BadRequest(const std::string& message, const std::string& reason,
                    const std::string& location,
                    const std::string& location_type) {
  return ApiError{400,      reason,   message,
                  "global", location, location.empty() ? "" : location_type};
}

ApiError InvalidParameter(const std::string& name, const std::string& message) {
  return ApiError{400,  "invalidParameter", message, "global",
                  name, "parameter"};
}

ApiError Forbidden(const std::string& reason, const std::string& message,
                   const std::string& domain) {
  return ApiError{403, reason, message, domain, "", ""};
}

ApiError InsufficientPermissions() {
  return Forbidden("insufficientFilePermissions",
                   "The user does not have sufficient permissions for this "
                   "file.");
}

ApiError DriveNotFound(const std::string& drive_id) {
  return ApiError{404,      "notFound", "Shared drive not found: " + drive_id,
                  "global", "driveId",  "parameter"};
}

ApiError StorageQuotaExceeded() {
  return Forbidden("storageQuotaExceeded",
                   "The user's Drive storage quota has been exceeded.",
                   "usageLimits");
}

ApiError ParentsNotWritable() {
  return Forbidden("fieldNotWritable",
                   "The parents field is not directly writable in update "
                   "requests. Use the addParents and removeParents "
                   "parameters instead.");
}

ApiError IncludeItemsWithoutSupportsAllDrives() {
  return BadRequest(
      "The includeItemsFromAllDrives parameter can only be set to true when "
      "supportsAllDrives is also set to true.",
      "invalid", "includeItemsFromAllDrives");
}

ApiError InternalError(const std::string& message) {
  return ApiError{500, "internalError", message, "global", "", ""};
}

}  // namespace gdmount::emulator
