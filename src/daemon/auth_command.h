// `gdmount auth`: sign in and store the account's token (docs/auth.md).
//   gdmount auth --headless          paste back a code or redirected URL
//   gdmount auth                     loopback redirect to 127.0.0.1
//   gdmount auth --service-account KEY.json [--subject USER@DOMAIN]
// Then checks the token with about.get and prints who is signed in.
#pragma once

#include <iosfwd>

#include "config/settings.h"
#include "daemon/cli.h"

namespace gdmount::daemon {

OptionSpec AuthOptions();
extern const char kAuthHelp[];

// Returns the process exit code (0 ok, 1 failed).
int RunAuth(const config::Settings& settings, const CommandLine& cl,
            std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace gdmount::daemon
