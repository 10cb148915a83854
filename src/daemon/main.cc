// gdmount: the command-line entry point. Parses the command line, resolves
// settings (config file < environment < flags), dispatches to a command.
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "config/settings.h"
#include "daemon/accounts_command.h"
#include "daemon/auth_command.h"
#include "daemon/cli.h"
#include "daemon/control_commands.h"
#include "daemon/drives_command.h"
#include "daemon/mount_command.h"
#include "daemon/mount_helper.h"
#include "daemon/prefetch_command.h"
#include "gdmount/log.h"

namespace gdmount::daemon {
namespace {

constexpr const char* kVersion = "gdmount 0.1.0";

void PrintSettings(std::ostream& out);

void PrintHelp(std::ostream& out) {
  out << "Usage: gdmount [OPTIONS] COMMAND [COMMAND OPTIONS]\n"
         "\n"
         "Mount Google Drive as a POSIX directory.\n"
         "\n"
         "Commands:\n"
         "  auth       Sign in (--headless for machines without a browser)\n"
         "  mount      Mount Drive at a directory\n"
         "  unmount    Unmount, waiting for pending uploads (--no-wait)\n"
         "  status     What running mounts are doing (--json)\n"
         "  prefetch   Warm the cache with the files under PATH...\n"
         "  drives     List the shared drives the account sees\n"
         "  accounts   List the accounts signed in on this machine\n"
         "  help CMD   Help for a command (help config: every setting)\n"
         "\n"
         "Options (also in the config file, "
         "$XDG_CONFIG_HOME/gdmount/config.toml,\n"
         "as KEY = VALUE; precedence: file < environment < flags):\n";
  PrintSettings(out);
  out << "  --config FILE               Config file to read [$GDMOUNT_CONFIG]\n"
         "  -h, --help                  This help\n"
         "  -V, --version               Print the version\n"
         "\n"
         "Exit status: 0 success, 1 failure, 2 usage error.\n";
}

void PrintSettings(std::ostream& out) {
  for (const auto& s : config::SettingsTable()) {
    std::string left =
        "  " + s.flag + (s.value_name.empty() ? "" : " " + s.value_name);
    if (left.size() < 30) left.resize(30, ' ');
    out << left << s.help << "\n" << std::string(30, ' ') << "[key " << s.key;
    if (!s.env.empty()) out << ", $" << s.env;
    out << "; default " << s.default_text << "]\n";
  }
}

std::optional<std::string> Env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Called by mount(8) for an fstab line (see mount_helper.h).
  if (argc > 0 && IsMountHelperName(argv[0])) {
    auto command = MountHelperCommand(args);
    if (!command.ok()) {
      std::cerr << "mount.fuse.gdmount: " << command.status().message() << "\n";
      return 1;
    }
    args = std::move(*command);
  }
  auto cl = ParseCommandLine(args, {{"auth", AuthOptions()},
                                    {"mount", MountOptions()},
                                    {"drives", {}},
                                    {"status", StatusOptions()},
                                    {"unmount", UnmountOptions()},
                                    {"prefetch", PrefetchOptions()},
                                    {"accounts", {}},
                                    {"config", {}},
                                    {"help", {}}});
  if (!cl.ok()) {
    std::cerr << "gdmount: " << cl.status().message() << "\n";
    return 2;
  }
  if (cl->version) {
    std::cout << kVersion << "\n";
    return 0;
  }
  std::string command = cl->command;
  if (command == "help" && !cl->positional.empty()) {
    command = cl->positional[0];
    cl->help = true;
  }
  if (command.empty() || command == "help") {
    PrintHelp(cl->help || command == "help" ? std::cout : std::cerr);
    return cl->help || command == "help" ? 0 : 2;
  }
  static const std::set<std::string> kCommands = {
      "auth",     "mount",    "unmount", "status",
      "prefetch", "accounts", "drives",  "config"};
  if (kCommands.count(command) == 0) {
    std::cerr << "gdmount: unknown command '" << command
              << "'; see gdmount --help\n";
    return 2;
  }
  if (command == "config") {  // `gdmount help config`
    std::cout << "Settings: a flag, an environment variable or a KEY = VALUE "
                 "line of\n"
              << config::DefaultConfigPath(Env)
              << " (precedence: file < environment < flags).\n"
                 "Unknown keys are errors. docs/configuration.md has the "
                 "details.\n\n";
    PrintSettings(std::cout);
    return 0;
  }
  if (cl->help) {
    std::cout << (command == "auth"       ? kAuthHelp
                  : command == "mount"    ? kMountHelp
                  : command == "status"   ? kStatusHelp
                  : command == "unmount"  ? kUnmountHelp
                  : command == "prefetch" ? kPrefetchHelp
                  : command == "accounts" ? kAccountsHelp
                                          : kDrivesHelp);
    return 0;
  }
  if (command == "auth" && !cl->positional.empty()) {
    std::cerr << "gdmount auth: unexpected argument '" << cl->positional[0]
              << "'; see gdmount help auth\n";
    return 2;
  }
  // These talk to a running daemon; its settings are its own.
  if (command == "status") return RunStatus(*cl, std::cout, std::cerr);
  if (command == "unmount") return RunUnmount(*cl, std::cout, std::cerr);
  if (command == "prefetch") return RunPrefetch(*cl, std::cout, std::cerr);
  if (command == "accounts") return RunAccounts(*cl, std::cout, std::cerr);
  auto settings = config::ResolveSettings(cl->settings, Env);
  if (!settings.ok()) {
    std::cerr << "gdmount: " << settings.status().message() << "\n";
    return 2;
  }
  log::Level level;
  if (!log::ParseLevel(settings->log_level, &level)) {
    std::cerr << "gdmount: --log-level: expected error, warning, info, debug "
                 "or trace\n";
    return 2;
  }
  log::SetLevel(level);
  if (command == "mount") return RunMount(*settings, *cl, std::cerr);
  if (command == "drives")
    return RunDrives(*settings, *cl, std::cout, std::cerr);
  return RunAuth(*settings, *cl, std::cin, std::cout, std::cerr);
}

}  // namespace
}  // namespace gdmount::daemon

int main(int argc, char** argv) {
  // A write to a connection the peer closed is an error to handle, not a
  // reason to die (libfuse ignores SIGPIPE only while its loop runs; the
  // uploads at unmount come after).
  std::signal(SIGPIPE, SIG_IGN);
  // Everything gdmount writes (token, metadata with every file name,
  // cached and staged content, sockets) is the user's alone, whatever the
  // caller's umask. Set before any thread starts; the mount's own modes
  // (-o umask) are answers to the kernel, not files, and are unaffected.
  ::umask(077);
  return gdmount::daemon::Main(argc, argv);
}
