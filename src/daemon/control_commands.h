// The commands that talk to a running daemon through its control socket:
//   gdmount status [MOUNTPOINT] [--json]
//   gdmount unmount MOUNTPOINT [--no-wait]
#pragma once

#include <iosfwd>

#include "config/settings.h"
#include "daemon/cli.h"

namespace gdmount::daemon {

extern const char kStatusHelp[];
extern const char kUnmountHelp[];
OptionSpec StatusOptions();
OptionSpec UnmountOptions();

// Each returns the exit code (0, 1 on failure, 2 usage).
int RunStatus(const CommandLine& cl, std::ostream& out, std::ostream& err);
int RunUnmount(const CommandLine& cl, std::ostream& out, std::ostream& err);

}  // namespace gdmount::daemon
