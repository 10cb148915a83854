#include "daemon/cli.h"

#include "config/config_file.h"
#include "config/settings.h"

namespace gdmount::daemon {
namespace {

// Settings flags: name -> takes a value?
OptionSpec SettingFlags() {
  OptionSpec spec = {{"--config", true}};
  for (const auto& info : config::SettingsTable())
    spec[info.flag] = !info.value_name.empty();
  return spec;
}

Status UnknownOption(const std::string& name, const OptionSpec& a,
                     const OptionSpec& b) {
  std::vector<std::string> names;
  for (const auto* spec : {&a, &b})
    for (const auto& [n, v] : *spec) names.push_back(n);
  std::string hint = config::ClosestMatch(name, names);
  return InvalidArgumentError(
      "unknown option " + name +
      (hint.empty() ? "" : " (did you mean " + hint + "?)") +
      "; see gdmount --help");
}

}  // namespace

Result<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args,
    const std::map<std::string, OptionSpec>& command_options) {
  static const OptionSpec settings = SettingFlags();
  static const OptionSpec none;
  CommandLine cl;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      cl.help = true;
      continue;
    }
    if (arg == "--version" || arg == "-V") {
      cl.version = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
      if (cl.command.empty() && arg != "--") {
        cl.command = arg;
      } else if (arg != "--") {
        cl.positional.push_back(arg);
      }
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto cmd_it = command_options.find(cl.command);
    const OptionSpec& cmd =
        cmd_it == command_options.end() ? none : cmd_it->second;
    bool is_setting = settings.count(name) > 0;
    const OptionSpec& spec = is_setting ? settings : cmd;
    auto opt = spec.find(name);
    if (opt == spec.end()) return UnknownOption(name, settings, cmd);
    if (opt->second && !has_value) {
      if (i + 1 >= args.size())
        return InvalidArgumentError("option " + name + " needs a value");
      value = args[++i];
    } else if (!opt->second && has_value && is_setting) {
      // Boolean settings accept --http2=false.
    } else if (!opt->second && has_value) {
      return InvalidArgumentError("option " + name + " takes no value");
    }
    (is_setting ? cl.settings : cl.options)[name] = value;
  }
  return cl;
}

}  // namespace gdmount::daemon
