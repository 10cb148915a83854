#include "fuse/errno_map.h"

#include <cerrno>

namespace gdmount::fuse {

int ErrnoFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kNotFound:
      return ENOENT;
    case StatusCode::kAlreadyExists:
      return EEXIST;
    case StatusCode::kNotEmpty:
      return ENOTEMPTY;
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:  // signed out: access is denied
      return EACCES;
    case StatusCode::kQuotaExceeded:
      return ENOSPC;
    case StatusCode::kPreconditionFailed:
      return ESTALE;
    case StatusCode::kInvalidArgument:
      return EINVAL;
    case StatusCode::kNotSupported:
      return ENOTSUP;
    case StatusCode::kCancelled:
      return EINTR;
    case StatusCode::kReadOnly:
      return EROFS;
    case StatusCode::kIsDirectory:
      return EISDIR;
    case StatusCode::kNotDirectory:
      return ENOTDIR;
    case StatusCode::kFileTooLarge:
      return EFBIG;
    case StatusCode::kRateLimited:
    case StatusCode::kUnavailable:
    case StatusCode::kIo:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return EIO;
  }
  return EIO;
}

}  // namespace gdmount::fuse
