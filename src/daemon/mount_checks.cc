#include "daemon/mount_checks.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "daemon/control_socket.h"
#include "util/mountinfo.h"

namespace gdmount::daemon {
namespace {

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0)
      return true;
  return false;
}

}  // namespace

bool IsRoot() { return ::geteuid() == 0; }

Status CheckFuseAvailable(const std::string& device, bool root) {
  if (::access(device.c_str(), R_OK | W_OK) != 0) {
    const bool missing = errno == ENOENT;
    return Status(StatusCode::kNotSupported,
                  missing
                      ? "no " + device +
                            ": load the module (`sudo modprobe fuse`), or "
                            "in a container run it with `--device "
                            "/dev/fuse --cap-add SYS_ADMIN`"
                      : "cannot open " + device + " (" + std::strerror(errno) +
                            "): add yourself to its group or run as "
                            "root");
  }
  if (!root && !OnPath("fusermount3"))
    return Status(StatusCode::kNotSupported,
                  "fusermount3 not found: it mounts for users other than "
                  "root; install it with `sudo apt-get install fuse3`");
  return Status::Ok();
}

Status CheckMountPoint(const std::string& mountpoint, bool allow_nonempty) {
  const std::string dir = MountPointKey(mountpoint);
  const auto table = util::ReadMountTable();
  const util::MountEntry* mounted = util::MountAt(table, dir);
  const std::string type = mounted ? mounted->type : "";
  if (type == "fuse.gdmount")
    return Status(StatusCode::kAlreadyExists,
                  dir + " is already a gdmount mount: `gdmount status " + dir +
                      "` shows it, `gdmount unmount " + dir +
                      "` ends it (or `fusermount3 -u " + dir +
                      "` if its daemon is gone)");
  if (!type.empty())
    return Status(StatusCode::kAlreadyExists,
                  dir + " is already a mount point (" + type +
                      "): unmount it first or choose another directory");
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return Status(
        StatusCode::kNotFound,
        dir + " does not exist: create it with `mkdir -p " + dir + "`");
  if (!S_ISDIR(st.st_mode))
    return Status(StatusCode::kNotDirectory,
                  dir + " is not a directory: mount on an empty directory");
  if (allow_nonempty) return Status::Ok();
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Status::Ok();  // the kernel will say what it thinks
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  if (!empty)
    return Status(StatusCode::kNotEmpty,
                  dir +
                      " is not empty: the mount would hide its files; use "
                      "an empty directory, or `-o nonempty` to mount over "
                      "them anyway");
  return Status::Ok();
}

}  // namespace gdmount::daemon
