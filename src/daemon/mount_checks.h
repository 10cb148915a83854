// Checks before mounting, so each common mistake gets its own message with
// the fix in it instead of libfuse's generic failure.
#pragma once

#include <string>

#include "gdmount/status.h"

namespace gdmount::daemon {

// /dev/fuse usable; fusermount3 on PATH when not root (it does the mount
// for unprivileged users). FailedPrecondition-style messages: what is
// missing and how to get it.
// `device` and `root` are parameters for tests.
bool IsRoot();
Status CheckFuseAvailable(const std::string& device = "/dev/fuse",
                          bool root = IsRoot());

// MOUNTPOINT exists, is a directory, is not already a mount (a gdmount one
// or any other), and is empty unless `allow_nonempty` (mounting would hide
// its files).
Status CheckMountPoint(const std::string& mountpoint, bool allow_nonempty);

}  // namespace gdmount::daemon
