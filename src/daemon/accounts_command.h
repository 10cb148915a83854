// `gdmount accounts`: the accounts signed in on this machine (those with a
// token file), one per line: NAME, a tab, how it signs in.
#pragma once

#include <iosfwd>

#include "daemon/cli.h"

namespace gdmount::daemon {

extern const char kAccountsHelp[];
// Returns the exit code (0; 1 when none is signed in; 2 usage).
int RunAccounts(const CommandLine& cl, std::ostream& out, std::ostream& err);

}  // namespace gdmount::daemon
