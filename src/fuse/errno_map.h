// Status -> errno for replies to the kernel: the one place this mapping
// lives (STYLE.md section 3). Everything that is not a precise POSIX
// condition becomes EIO, so a caller never mistakes a Drive outage for,
// say, a missing file.
#pragma once

#include "gdmount/status.h"

namespace gdmount::fuse {

// NotFound -> ENOENT, AlreadyExists -> EEXIST, NotEmpty -> ENOTEMPTY,
// PermissionDenied -> EACCES, Unauthenticated -> EACCES, QuotaExceeded ->
// ENOSPC, PreconditionFailed -> ESTALE, InvalidArgument -> EINVAL,
// NotSupported -> ENOTSUP, Cancelled -> EINTR, RateLimited / Unavailable /
// Io / Corruption / Internal -> EIO. OK -> 0.
int ErrnoFor(const Status& status);

}  // namespace gdmount::fuse
