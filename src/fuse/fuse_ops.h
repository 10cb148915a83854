// Shared by the FUSE handler files: replies built from vfs results.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse3/fuse_lowlevel.h>

#include "fuse/fuse_frontend.h"

namespace gdmount::fuse {

FuseFrontend* Self(fuse_req_t req);
struct stat ToStat(const vfs::Attr& a);
fuse_entry_param EntryOf(FuseFrontend* self, const vfs::Attr& a);
// Logs a failed operation (not routine misses) and returns its errno.
int Fail(const char* op, uint64_t ino, const Status& s);

// The mutating handlers (fuse_write_ops.cc), set on a writable mount.
void AddWriteOps(fuse_lowlevel_ops* ops);

}  // namespace gdmount::fuse
