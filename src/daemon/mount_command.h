// `gdmount mount MOUNTPOINT`: serves the signed-in account's Drive at
// MOUNTPOINT (read-only for now) until unmounted. Stays in the foreground
// (`-f` is accepted; daemonizing comes with the CLI issue).
//   -o allow_other,uid=N,gid=N,umask=NNN,ro,debug
// Metadata lives in $XDG_STATE_HOME/gdmount/ACCOUNT/meta.db, content in
// $XDG_CACHE_HOME/gdmount/ACCOUNT/ (both 0700).
#pragma once

#include <iosfwd>

#include "config/settings.h"
#include "daemon/cli.h"

namespace gdmount::daemon {

OptionSpec MountOptions();
extern const char kMountHelp[];

// Returns the exit code (0 after a clean unmount, 1 on failure, 2 usage).
int RunMount(const config::Settings& settings, const CommandLine& cl,
             std::ostream& err);

}  // namespace gdmount::daemon
