// Helpers of the end-to-end tests: a mount guard around the real gdmount
// binary, and small wrappers over the emulator and ordinary tools.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace gdmount::e2e {

using testing::EmulatorFixture;
using testing::Subprocess;
inline constexpr auto kWait = std::chrono::seconds(60);

inline bool HaveFuse() {
  if (access("/dev/fuse", R_OK | W_OK) == 0) return true;
  WARN("no /dev/fuse: end-to-end mount test skipped");
  return false;
}

inline bool Mounted(const std::string& dir) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + dir + " ") != std::string::npos) return true;
  return false;
}

// A private home for gdmount: its own XDG config, state, cache and runtime
// directories under `home` (the runtime one made 0700).
inline std::map<std::string, std::string> HomeEnv(const std::string& home) {
  mkdir((home + "/run").c_str(), 0700);
  return {{"XDG_CONFIG_HOME", home + "/config"},
          {"XDG_STATE_HOME", home + "/state"},
          {"XDG_CACHE_HOME", home + "/cache"},
          {"XDG_RUNTIME_DIR", home + "/run"}};
}

// `gdmount auth --headless` with `env`, the consent given by fetching the
// printed URL (the emulator approves at once). Returns everything auth
// printed (stdout, then stderr) and the redirect URL it was given.
inline std::pair<std::string, std::string> SignIn(
    EmulatorFixture& fx, const std::map<std::string, std::string>& env,
    const std::string& bin = GDMOUNT_BIN, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{bin, "--endpoint", fx.url()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"auth", "--headless"});
  Subprocess auth(argv, env);
  auto url = auth.ReadUntil("/o/oauth2/v2/auth?", kWait);
  REQUIRE(url);
  auto consent = testing::HttpCall("GET", *url, "", {});
  REQUIRE(consent.status == 302);
  const std::string redirect = consent.header("location");
  auth.Write(redirect + "\n");
  REQUIRE(auth.Wait(kWait) == 0);
  return {auth.output() + auth.Stderr(), redirect};
}

// Signs in (headless flow, the emulator auto-approves) and mounts; the
// destructor unmounts and reaps the daemon whatever happened.
class Mount {
 public:
  Mount(EmulatorFixture& fx, const testing::TempDir& home,
        std::vector<std::string> extra = {},
        const std::map<std::string, std::string>& extra_env = {},
        const std::string& bin = GDMOUNT_BIN)
      : dir_(home.path() + "/drive"), env_(HomeEnv(home.path())) {
    mkdir(dir_.c_str(), 0755);
    for (const auto& [k, v] : extra_env) env_[k] = v;
    SignIn(fx, env_, bin);
    std::vector<std::string> argv{bin,     "--endpoint", fx.url(),
                                  "mount", dir_,         "-f"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Subprocess>(argv, env_);
    // Wait (bounded) for the kernel to show the mount.
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!Mounted(dir_) && std::chrono::steady_clock::now() < deadline) {
      if (daemon_->Wait(std::chrono::milliseconds(50))) break;  // died
    }
    INFO(daemon_->Stderr());
    REQUIRE(Mounted(dir_));
  }
  ~Mount() { Unmount(); }
  // Unmounts like a user would; returns the daemon's exit status.
  std::optional<int> Unmount() {
    if (Mounted(dir_)) {
      Subprocess u({"fusermount3", "-u", dir_});
      if (u.Wait(kWait) != 0) {
        Subprocess lazy({"fusermount3", "-u", "-z", dir_});
        lazy.Wait(kWait);
      }
    }
    auto status = daemon_ ? daemon_->Wait(kWait) : std::nullopt;
    if (daemon_ && !status) daemon_->Kill(SIGKILL);
    return status;
  }
  // Stops the daemon with `sig` (SIGTERM, SIGINT): it must unmount itself.
  std::optional<int> Signal(int sig) {
    daemon_->Kill(sig);
    return daemon_->Wait(kWait);
  }
  // Sends `sig` without waiting for the daemon to exit.
  void Send(int sig) { daemon_->Kill(sig); }
  // Waits (bounded) until the kernel no longer shows the mount; false if
  // it still does.
  bool WaitUnmounted() {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (Mounted(dir_) && std::chrono::steady_clock::now() < deadline)
      if (daemon_->Wait(std::chrono::milliseconds(20))) break;  // exited
    return !Mounted(dir_);
  }
  std::optional<int> WaitExit() { return daemon_->Wait(kWait); }
  const std::string& dir() const { return dir_; }
  // Runs `gdmount ARGS...` with this mount's environment (its control
  // socket, state and config); returns exit status, stdout and stderr.
  struct CliResult {
    std::optional<int> status;
    std::string out, err;
  };
  CliResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), GDMOUNT_BIN);
    Subprocess p(args, env_);
    CliResult r;
    while (auto line = p.ReadLine(std::chrono::seconds(120)))
      r.out += *line + "\n";
    r.status = p.Wait(kWait);
    r.err = p.Stderr();
    return r;
  }
  const std::map<std::string, std::string>& env() const { return env_; }
  std::string Log() { return daemon_->Stderr(); }

 private:
  std::string dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Subprocess> daemon_;
};

inline std::string Run(std::vector<std::string> argv) {
  Subprocess p(std::move(argv));
  std::string out;
  while (auto line = p.ReadLine(kWait)) out += *line + "\n";
  REQUIRE(p.Wait(kWait) == 0);
  return out;
}

inline int64_t Method(EmulatorFixture& fx, const std::string& m) {
  nlohmann::json stats = fx.Stats();
  return stats["methods"].value(m, int64_t{0});
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Paths under `root` that `find` reports for `type` ("f", "l"), relative.
inline std::set<std::string> Find(const std::string& root,
                                  const std::string& type) {
  std::set<std::string> out;
  for (const auto& p :
       Lines(Run({"find", root, "-mindepth", "1", "-type", type})))
    out.insert(p.substr(root.size() + 1));
  return out;
}

inline std::string Shortcut(EmulatorFixture& fx, const std::string& name,
                            const std::string& parent,
                            const std::string& target) {
  auto r = fx.Call(
      "POST", "/drive/v3/files",
      nlohmann::json{{"name", name},
                     {"mimeType", "application/vnd.google-apps.shortcut"},
                     {"parents", {parent}},
                     {"shortcutDetails", {{"targetId", target}}}}
          .dump(),
      {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  return r.json()["id"];
}

inline void Trash(EmulatorFixture& fx, const std::string& id) {
  REQUIRE(fx.Call("PATCH", "/drive/v3/files/" + id, R"({"trashed":true})",
                  {"Content-Type: application/json"})
              .status == 200);
}

inline std::string IdAt(EmulatorFixture& fx, const std::string& parent,
                        const std::string& name) {
  auto r = fx.Call("GET", "/drive/v3/files?fields=files(id)&q=" +
                              testing::Q("name = '" + name + "' and '" +
                                         parent + "' in parents"));
  REQUIRE(r.status == 200);
  REQUIRE(r.json()["files"].size() == 1);
  return r.json()["files"][0]["id"];
}

}  // namespace gdmount::e2e
