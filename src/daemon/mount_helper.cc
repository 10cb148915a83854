#include "daemon/mount_helper.h"

#include <set>
#include <sstream>

#include "config/settings.h"

namespace gdmount::daemon {
namespace {

// mount(8)'s and fstab's own options: not for the file system.
bool IsMountOnly(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "defaults", "auto",        "noauto",   "_netdev",    "nofail",
      "user",     "users",       "nouser",   "owner",      "group",
      "exec",     "noexec",      "suid",     "nosuid",     "dev",
      "nodev",    "sync",        "async",    "atime",      "noatime",
      "relatime", "strictatime", "diratime", "nodiratime", "lazytime",
      "comment",  "loop",        "helper"};
  return kKeys.count(key) > 0 || key.rfind("x-", 0) == 0;
}

bool IsFuseOption(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "ro", "rw", "allow_other", "uid", "gid", "umask", "nonempty", "debug"};
  return kKeys.count(key) > 0;
}

}  // namespace

bool IsMountHelperName(const std::string& argv0) {
  const std::string base = argv0.substr(argv0.rfind('/') + 1);
  return base == "mount.gdmount" || base == "mount.fuse.gdmount";
}

Result<std::vector<std::string>> MountHelperCommand(
    const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-o") {
      if (i + 1 == args.size())
        return InvalidArgumentError("-o without options");
      options += (options.empty() ? "" : ",") + args[++i];
    } else if (args[i].rfind("-o", 0) == 0 && args[i].size() > 2) {
      options += (options.empty() ? "" : ",") + args[i].substr(2);
    } else if (args[i].size() == 2 && args[i][0] == '-') {
      // -n (no mtab), -s (sloppy), -f (fake), -v (verbose): nothing to do.
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != 2)
    return InvalidArgumentError(
        "usage: mount.fuse.gdmount gdmount#ACCOUNT MOUNTPOINT [-o OPTIONS] "
        "(an fstab line: gdmount#default /mnt/drive fuse.gdmount "
        "defaults,_netdev 0 0)");
  // SOURCE: "gdmount#ACCOUNT", "ACCOUNT", or "gdmount" for the default.
  std::string account = positional[0];
  if (auto hash = account.find('#'); hash != std::string::npos)
    account = account.substr(hash + 1);
  if (account.empty() || account == "gdmount") account = "default";
  std::vector<std::string> command = {"--account", account};
  std::string fuse_options;
  std::stringstream in(options);
  for (std::string opt; std::getline(in, opt, ',');) {
    if (opt.empty()) continue;
    const auto eq = opt.find('=');
    const std::string key = opt.substr(0, eq);
    if (IsMountOnly(key)) continue;
    if (IsFuseOption(key)) {
      fuse_options += (fuse_options.empty() ? "" : ",") + opt;
      continue;
    }
    const config::SettingInfo* setting = nullptr;
    for (const auto& row : config::SettingsTable())
      if (row.key == key) setting = &row;
    if (!setting)
      return InvalidArgumentError(
          "unknown option '" + key +
          "' in the fstab line: use FUSE options (ro, allow_other, uid=, "
          "gid=, umask=) or gdmount settings as KEY=VALUE (gdmount --help "
          "lists them)");
    if (eq == std::string::npos) {
      if (!setting->value_name.empty())
        return InvalidArgumentError("option '" + key + "' needs a value: " +
                                    key + "=" + setting->value_name);
      command.push_back(setting->flag);
    } else {
      command.push_back(setting->flag + "=" + opt.substr(eq + 1));
    }
  }
  command.push_back("mount");
  command.push_back(positional[1]);
  if (!fuse_options.empty()) {
    command.push_back("-o");
    command.push_back(fuse_options);
  }
  return command;
}

}  // namespace gdmount::daemon
