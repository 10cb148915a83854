// Security defaults, checked on what a real session leaves behind: every
// file and folder gdmount writes (token, metadata, cache, staging, control
// socket) is closed to other users, `status` shows no secret, and the
// mount is shared with other users only when asked (and then with the
// kernel checking permissions).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/e2e/e2e_support.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::Mount;
using e2e::Run;
using testing::EmulatorFixture;

// The super options of the FUSE mount at `dir` (mountinfo's last field).
std::string SuperOptions(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string field;
    std::vector<std::string> fields;
    while (f >> field) fields.push_back(field);
    if (fields.size() > 4 && fields[4] == dir) return fields.back();
  }
  return "";
}

// Paths under `root` (recursively) that group or others may use at all.
std::vector<std::string> OpenToOthers(const std::string& root) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(root)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0) continue;
    if (st.st_mode & 077) out.push_back(e.path().string());
  }
  return out;
}

TEST_CASE("What gdmount leaves on disk is private, and status shows no secret",
          "[e2e][security]") {
  if (!e2e::HaveFuse()) return;
  EmulatorFixture fx;
  fx.Upload("read.txt", std::string(300000, 'r'));
  testing::TempDir home;
  {
    Mount m(fx, home);
    // Something cached, something staged and journaled.
    Run({"bash", "-c",
         "cat '" + m.dir() +
             "/read.txt' > /dev/null && "
             "head -c 100000 /dev/urandom > '" +
             m.dir() + "/w.bin' && sync '" + m.dir() + "/w.bin'"});
    auto status = m.Cli({"status", "--json", m.dir()});
    REQUIRE(status.status == 0);
    std::ifstream token_file(home.path() +
                             "/config/gdmount/default/token.json");
    REQUIRE(token_file);
    nlohmann::json token = nlohmann::json::parse(token_file);
    const std::string access = token.value("access_token", "");
    const std::string refresh = token.value("refresh_token", "");
    REQUIRE(!access.empty());
    REQUIRE(!refresh.empty());
    CHECK(status.out.find(access) == std::string::npos);
    CHECK(status.out.find(refresh) == std::string::npos);
    CHECK(m.Log().find(access) == std::string::npos);
    CHECK(m.Log().find(refresh) == std::string::npos);
    // While mounted (the control socket exists): nothing open to others.
    for (const char* dir : {"/config", "/state", "/cache", "/run"}) {
      INFO(dir);
      CHECK(OpenToOthers(home.path() + dir) == std::vector<std::string>{});
    }
    // Not shared with other users unless asked.
    const std::string opts = SuperOptions(m.dir());
    INFO(opts);
    CHECK(opts.find("allow_other") == std::string::npos);
    CHECK(m.Unmount() == 0);
  }
  for (const char* dir : {"/config", "/state", "/cache"}) {
    INFO(dir);
    CHECK(OpenToOthers(home.path() + dir) == std::vector<std::string>{});
  }
}

TEST_CASE("allow_other comes with default_permissions", "[e2e][security]") {
  if (!e2e::HaveFuse()) return;
  EmulatorFixture fx;
  testing::TempDir home;
  Mount m(fx, home, {"-o", "allow_other"});
  const std::string opts = SuperOptions(m.dir());
  INFO(opts);
  CHECK(opts.find("allow_other") != std::string::npos);
  CHECK(opts.find("default_permissions") != std::string::npos);
  CHECK(m.Unmount() == 0);
}

}  // namespace
}  // namespace gdmount
