// `gdmount prefetch PATH...`: warms a running mount's content cache with
// the files under PATH (recursively), by reading them through the mount,
// with a live progress line on a terminal and plain lines otherwise.
#pragma once

#include <iosfwd>

#include "daemon/cli.h"

namespace gdmount::daemon {

extern const char kPrefetchHelp[];
OptionSpec PrefetchOptions();
// Returns the exit code (0, 1 if a file could not be read or PATH is not in
// a gdmount mount, 2 usage).
int RunPrefetch(const CommandLine& cl, std::ostream& out, std::ostream& err);

}  // namespace gdmount::daemon
