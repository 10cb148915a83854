#include "daemon/control_commands.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>
#include <vector>

#include "daemon/control_socket.h"
#include "daemon/status_report.h"

namespace gdmount::daemon {
namespace {

// The status of the daemon serving `mountpoint`, or why there is none.
Result<nlohmann::json> QueryStatus(const std::string& socket) {
  auto answer = ControlRequest(socket, "status");
  if (!answer.ok()) return answer.status();
  auto j = nlohmann::json::parse(*answer, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status(StatusCode::kCorruption,
                  "the daemon at " + socket + " answered something unreadable");
  return j;
}

std::string NotMounted(const std::string& mountpoint) {
  return "no gdmount daemon serves " + MountPointKey(mountpoint) +
         " (is it mounted? `gdmount status` lists the mounts)";
}

// Runs argv; returns its exit status (127 if it could not be started).
int Spawn(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  if (pid < 0) return 127;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

const char kStatusHelp[] =
    "Usage: gdmount status [MOUNTPOINT] [--json]\n"
    "\n"
    "What a running mount is doing: cache use against its budget, pending\n"
    "uploads with their progress, uploads done and failed, API calls and\n"
    "retries by kind, rate-limit hits, change-feed polls and the last\n"
    "errors. Without MOUNTPOINT, every gdmount mount of this user.\n"
    "\n"
    "  --json   One JSON document per mount (an array without MOUNTPOINT)\n"
    "\n"
    "Exit status: 0, 1 when nothing answers.\n";

const char kUnmountHelp[] =
    "Usage: gdmount unmount MOUNTPOINT [--no-wait]\n"
    "\n"
    "Unmounts, then waits while the daemon uploads what is still pending\n"
    "(a progress line; up to --unmount-timeout), and returns when it has\n"
    "exited. What is left stays journaled and the next mount resumes it.\n"
    "\n"
    "  --no-wait   Do not wait for uploads: leave them all journaled\n"
    "\n"
    "Exit status: 0, 1 when the unmount failed or nothing was mounted.\n";

OptionSpec StatusOptions() { return {{"--json", false}}; }
OptionSpec UnmountOptions() { return {{"--no-wait", false}}; }

int RunStatus(const CommandLine& cl, std::ostream& out, std::ostream& err) {
  const bool json = cl.options.count("--json") > 0;
  if (cl.positional.size() > 1) {
    err << "gdmount status: expected at most one MOUNTPOINT\n";
    return 2;
  }
  std::vector<std::string> sockets;
  if (!cl.positional.empty()) {
    auto path = ControlSocketPath(cl.positional[0]);
    if (!path.ok()) {
      err << "gdmount status: " << path.status().message() << "\n";
      return 1;
    }
    sockets.push_back(*path);
  } else {
    auto dir = ControlDir();
    if (!dir.ok()) {
      err << "gdmount status: " << dir.status().message() << "\n";
      return 1;
    }
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(*dir, ec))
      if (e.path().extension() == ".sock") sockets.push_back(e.path());
    std::sort(sockets.begin(), sockets.end());
  }
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& socket : sockets) {
    auto status = QueryStatus(socket);
    if (!status.ok()) {
      if (!cl.positional.empty()) {
        err << "gdmount status: " << NotMounted(cl.positional[0]) << "\n";
        return 1;
      }
      continue;  // a stale socket of a daemon that died
    }
    if (json) {
      all.push_back(*status);
    } else {
      out << FormatStatus(*status);
    }
  }
  if (json) out << (cl.positional.empty() ? all : all.at(0)).dump(2) << "\n";
  if (all.empty() && !json && sockets.empty()) {
    err << "gdmount status: no gdmount mounts are running\n";
    return 1;
  }
  return 0;
}

int RunUnmount(const CommandLine& cl, std::ostream& out, std::ostream& err) {
  if (cl.positional.size() != 1) {
    err << "gdmount unmount: expected one MOUNTPOINT; see gdmount help "
           "unmount\n";
    return 2;
  }
  const std::string mountpoint = cl.positional[0];
  auto socket = ControlSocketPath(mountpoint);
  if (!socket.ok()) {
    err << "gdmount unmount: " << socket.status().message() << "\n";
    return 1;
  }
  auto before = QueryStatus(*socket);
  if (!before.ok()) {
    err << "gdmount unmount: " << NotMounted(mountpoint) << "\n";
    return 1;
  }
  (void)ControlRequest(*socket, "follow");  // wait to tell us the outcome
  const std::string key = MountPointKey(mountpoint);
  if (Spawn({"fusermount3", "-u", key}) != 0) {
    err << "gdmount unmount: fusermount3 -u " << key
        << " failed (see above; if a program still uses the mount, close "
           "it, or `fusermount3 -u -z` detaches it lazily)\n";
    return 1;
  }
  // Only once unmounted: a failed unmount must not leave the daemon told
  // not to wait next time. The daemon checks it while it waits.
  if (cl.options.count("--no-wait")) (void)ControlRequest(*socket, "no-wait");
  // The daemon uploads what is pending, then exits: follow it.
  const bool tty = ::isatty(STDOUT_FILENO);
  size_t last = SIZE_MAX;
  int64_t left_journaled = -1;  // the daemon's word, once the drain is over
  while (true) {
    auto now = QueryStatus(*socket);
    if (!now.ok()) break;  // exited
    if (now->contains("final_left")) {
      left_journaled = (*now)["final_left"].get<int64_t>();
      break;
    }
    const auto& pending = (*now)["uploads"]["pending"];
    if (pending.size() != last || tty) {
      int64_t left = 0;
      for (const auto& p : pending)
        left += p.value("size", int64_t{0}) - p.value("sent", int64_t{0});
      std::string line = "uploading: " + std::to_string(pending.size()) +
                         " file(s), " + std::to_string(left >> 20) +
                         " MiB left";
      if (tty) {
        out << "\r" << line << "   " << std::flush;
      } else if (!pending.empty()) {
        out << line << "\n";
      }
      last = pending.size();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (tty && last != SIZE_MAX) out << "\n";
  out << "unmounted " << key;
  if (left_journaled > 0) {
    out << "; " << left_journaled
        << " file(s) not uploaded yet stay journaled: the next mount resumes "
           "them";
  } else if (left_journaled == 0) {
    out << "; every written file is on Drive";
  }
  out << "\n";
  // The daemon exits right after telling: wait for its socket to go.
  for (int i = 0; i < 100 && QueryStatus(*socket).ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return 0;
}

}  // namespace gdmount::daemon
