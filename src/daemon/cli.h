// Command-line splitting for the gdmount binary:
//   gdmount [OPTIONS] COMMAND [COMMAND OPTIONS]
// Settings options (config/settings.h) are accepted anywhere on the line;
// a command declares its own options. Both "--opt value" and "--opt=value".
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::daemon {

struct CommandLine {
  std::string command;                          // "" when none was given
  std::map<std::string, std::string> settings;  // "--client-id" -> "x"
  std::map<std::string, std::string> options;   // command options
  std::vector<std::string> positional;          // after the command
  bool help = false;
  bool version = false;
};

// A command's own options: name -> takes a value?
using OptionSpec = std::map<std::string, bool>;

// `command_options` maps each command to its OptionSpec.
// Errors: InvalidArgument for an unknown option (with a suggestion), a
// missing value, or a value given to a flag that takes none.
Result<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args,
    const std::map<std::string, OptionSpec>& command_options);

}  // namespace gdmount::daemon
