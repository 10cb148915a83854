#include "fuse/errno_map.h"

#include <catch2/catch.hpp>
#include <cerrno>

namespace gdmount::fuse {
namespace {

TEST_CASE("Every status code has its errno", "[unit][fuse]") {
  const std::pair<StatusCode, int> table[] = {
      {StatusCode::kOk, 0},
      {StatusCode::kNotFound, ENOENT},
      {StatusCode::kAlreadyExists, EEXIST},
      {StatusCode::kNotEmpty, ENOTEMPTY},
      {StatusCode::kPermissionDenied, EACCES},
      {StatusCode::kUnauthenticated, EACCES},
      {StatusCode::kRateLimited, EIO},
      {StatusCode::kUnavailable, EIO},
      {StatusCode::kQuotaExceeded, ENOSPC},
      {StatusCode::kPreconditionFailed, ESTALE},
      {StatusCode::kInvalidArgument, EINVAL},
      {StatusCode::kNotSupported, ENOTSUP},
      {StatusCode::kCancelled, EINTR},
      {StatusCode::kReadOnly, EROFS},
      {StatusCode::kIsDirectory, EISDIR},
      {StatusCode::kNotDirectory, ENOTDIR},
      {StatusCode::kFileTooLarge, EFBIG},
      {StatusCode::kIo, EIO},
      {StatusCode::kCorruption, EIO},
      {StatusCode::kInternal, EIO},
  };
  // The table covers the whole enum (kInternal is the last code).
  CHECK(std::size(table) == static_cast<size_t>(StatusCode::kInternal) + 1);
  for (auto [code, err] : table) {
    INFO(StatusCodeName(code));
    Status s = code == StatusCode::kOk ? Status() : Status(code, "x");
    CHECK(ErrnoFor(s) == err);
  }
}

}  // namespace
}  // namespace gdmount::fuse
