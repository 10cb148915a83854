// `gdmount drives`: lists the shared drives the signed-in account sees, one
// per line as "ID<TAB>NAME" (hidden ones marked), for --shared-drive.
#pragma once

#include <iosfwd>

#include "config/settings.h"
#include "daemon/cli.h"

namespace gdmount::daemon {

extern const char kDrivesHelp[];

// Returns the exit code (0, 1 on failure, 2 usage).
int RunDrives(const config::Settings& settings, const CommandLine& cl,
              std::ostream& out, std::ostream& err);

}  // namespace gdmount::daemon
