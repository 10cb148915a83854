// mount(8)'s helper for fstab lines like
//   gdmount#ACCOUNT  /mnt/drive  fuse.gdmount  defaults,_netdev,uid=1000  0 0
// mount runs `mount.fuse.gdmount SOURCE MOUNTPOINT -o OPTIONS`; the gdmount
// binary answers to that name (a symlink) and turns the line into
//   gdmount --account ACCOUNT [--SETTING VALUE...] mount MOUNTPOINT -o
//   FUSE_OPTIONS
// which daemonizes and returns once the mount answers, as mount expects.
// In OPTIONS: FUSE options (ro, rw, allow_other, uid=, gid=, umask=,
// nonempty, debug) pass through; any gdmount setting may be given as
// KEY=VALUE (or KEY for a boolean), e.g. cache_budget=20000000000; mount's
// own options (defaults, _netdev, noauto, nofail, user, x-systemd.*, ...)
// are dropped.
#pragma once

#include <string>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::daemon {

// True when the program was invoked as mount.gdmount / mount.fuse.gdmount.
bool IsMountHelperName(const std::string& argv0);

// The gdmount command line (without argv[0]) for a helper invocation `args`
// (SOURCE MOUNTPOINT [-o OPTIONS] [-n -s -f -v ...]). InvalidArgument for
// an unknown option or a missing mount point, with the fix.
Result<std::vector<std::string>> MountHelperCommand(
    const std::vector<std::string>& args);

}  // namespace gdmount::daemon
