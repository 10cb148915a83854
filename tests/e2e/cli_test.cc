// End to end, `gdmount mount` as people run it: daemonized by default
// (returns once the mount answers), and each common mistake refused with a
// message that says how to fix it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/emulator/emulator.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::HaveFuse;
using e2e::kWait;
using e2e::Mounted;
using testing::EmulatorFixture;
using testing::Subprocess;

// A home with its own XDG dirs, signed in (or not) to the emulator.
struct Home {
  explicit Home(EmulatorFixture& fx, bool sign_in = true) : fx(fx) {
    env = e2e::HomeEnv(dir.path());
    if (sign_in) e2e::SignIn(fx, env);
  }
  // Runs gdmount; returns exit status and stderr (stdout appended).
  std::pair<std::optional<int>, std::string> Gdmount(
      std::vector<std::string> args) {
    args.insert(args.begin(), {GDMOUNT_BIN, "--endpoint", fx.url()});
    Subprocess p(args, env);
    std::string out;
    while (auto line = p.ReadLine(kWait)) out += *line + "\n";
    auto status = p.Wait(kWait);
    return {status, p.Stderr() + out};
  }
  EmulatorFixture& fx;
  testing::TempDir dir;
  std::map<std::string, std::string> env;
};

// Unmounts (lazily if need be) whatever a test left mounted at `dir`.
struct MountGuard {
  explicit MountGuard(std::string dir) : dir(std::move(dir)) {}
  ~MountGuard() {
    if (!Mounted(dir)) return;
    Subprocess u({"fusermount3", "-u", "-z", dir});
    u.Wait(kWait);
  }
  std::string dir;
};

TEST_CASE("gdmount mount daemonizes and returns once the mount answers",
          "[e2e][cli]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  fx.Upload("hello.txt", "hi\n");
  Home home(fx);
  const std::string mnt = home.dir.path() + "/drive";
  ::mkdir(mnt.c_str(), 0755);
  MountGuard guard(mnt);
  auto [status, text] = home.Gdmount({"mount", mnt});
  INFO(text);
  REQUIRE(status == 0);
  CHECK_THAT(text, Catch::Contains(mnt + " is mounted (daemon pid"));
  const std::string log =
      home.dir.path() + "/state/gdmount/default/gdmount.log";
  CHECK_THAT(text, Catch::Contains("log " + log));
  // Already serving when the command returned.
  CHECK(Mounted(mnt));
  {
    std::ifstream in(mnt + "/hello.txt");
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "hi\n");
  }
  struct stat st;
  REQUIRE(::stat(log.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Mounting again: refused, with what to do.
  auto [again, again_text] = home.Gdmount({"mount", mnt});
  CHECK(again == 1);
  CHECK_THAT(again_text, Catch::Contains("is already a gdmount mount"));
  CHECK_THAT(again_text, Catch::Contains("gdmount unmount " + mnt));
  auto [un, un_text] = home.Gdmount({"unmount", mnt});
  INFO(un_text);
  CHECK(un == 0);
  CHECK_FALSE(Mounted(mnt));
  std::ifstream logged(log);
  CHECK_THAT(std::string(std::istreambuf_iterator<char>(logged), {}),
             Catch::Contains("every written file is on Drive"));
}

TEST_CASE("Mount mistakes are refused with the fix in the message",
          "[e2e][cli]") {
  if (!HaveFuse()) return;
  EmulatorFixture fx;
  Home home(fx);
  const std::string base = home.dir.path();
  SECTION("a missing mount point") {
    auto [st, text] = home.Gdmount({"mount", base + "/nowhere"});
    CHECK(st == 1);
    CHECK_THAT(text,
               Catch::Contains("does not exist: create it with `mkdir -p " +
                               base + "/nowhere`"));
  }
  SECTION("a file, not a directory") {
    std::ofstream(base + "/file") << "x";
    auto [st, text] = home.Gdmount({"mount", base + "/file", "-f"});
    CHECK(st == 1);
    CHECK_THAT(text, Catch::Contains("is not a directory"));
  }
  SECTION("a directory with files in it, unless -o nonempty") {
    const std::string dir = base + "/full";
    ::mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/mine.txt") << "x";
    auto [st, text] = home.Gdmount({"mount", dir});
    CHECK(st == 1);
    CHECK_THAT(text, Catch::Contains("is not empty: the mount would hide its "
                                     "files"));
    CHECK_THAT(text, Catch::Contains("-o nonempty"));
    MountGuard guard(dir);
    auto [ok, ok_text] = home.Gdmount({"mount", dir, "-o", "nonempty"});
    INFO(ok_text);
    CHECK(ok == 0);
    CHECK(Mounted(dir));
    CHECK(home.Gdmount({"unmount", dir}).first == 0);
  }
  SECTION("not signed in (reported by the daemon, through the command)") {
    Home stranger(fx, /*sign_in=*/false);
    const std::string dir = stranger.dir.path() + "/drive";
    ::mkdir(dir.c_str(), 0755);
    auto [st, text] = stranger.Gdmount({"mount", dir});
    CHECK(st == 1);
    CHECK_THAT(text, Catch::Contains("not signed in: run `gdmount auth`"));
    CHECK_FALSE(Mounted(dir));
  }
  SECTION("a revoked sign-in") {
    std::ifstream in(base + "/config/gdmount/default/token.json");
    auto token = nlohmann::json::parse(in);
    auto r = fx.Raw("POST",
                    "/revoke?token=" +
                        testing::Q(token["refresh_token"].get<std::string>()));
    REQUIRE(r.status == 200);
    const std::string dir = base + "/drive";
    ::mkdir(dir.c_str(), 0755);
    auto [st, text] = home.Gdmount({"mount", dir});
    CHECK(st == 1);
    CHECK_THAT(text, Catch::Contains("run `gdmount auth` again"));
    CHECK_FALSE(Mounted(dir));
  }
  SECTION("unmount and status of nothing") {
    auto [st, text] = home.Gdmount({"unmount", base});
    CHECK(st == 1);
    CHECK_THAT(text, Catch::Contains("is it mounted?"));
    auto [st2, text2] = home.Gdmount({"status"});
    CHECK(st2 == 1);
    CHECK_THAT(text2, Catch::Contains("no gdmount mounts are running"));
  }
}

TEST_CASE("No token or code reaches the logs of a whole session",
          "[e2e][cli]") {
  if (!HaveFuse()) return;
  emulator::EmulatorOptions short_tokens;
  // Access tokens expire at once: every call refreshes, so the session
  // sees many of them.
  short_tokens.oauth.access_token_lifetime_s = 1;
  EmulatorFixture fx(short_tokens);
  fx.Upload("hello.txt", "hi\n");
  Home home(fx, /*sign_in=*/false);
  // Sign in, keeping everything auth printed and the code it was given.
  auto [logs, redirect] =
      e2e::SignIn(fx, home.env, GDMOUNT_BIN, {"--log-level", "trace"});
  const size_t at = redirect.find("code=") + 5;
  const std::string code = redirect.substr(at, redirect.find('&', at) - at);
  REQUIRE(code.size() >= 8);
  const std::string mnt = home.dir.path() + "/drive";
  ::mkdir(mnt.c_str(), 0755);
  MountGuard guard(mnt);
  {
    Subprocess daemon({GDMOUNT_BIN, "--endpoint", fx.url(), "--log-level",
                       "trace", "mount", mnt, "-f"},
                      home.env);
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!Mounted(mnt) && std::chrono::steady_clock::now() < deadline)
      if (daemon.Wait(std::chrono::milliseconds(50))) break;
    REQUIRE(Mounted(mnt));
    e2e::Run({"bash", "-c",
              "cat '" + mnt + "/hello.txt' > /dev/null && echo data > '" + mnt +
                  "/new.txt' && sync '" + mnt + "/new.txt' && ls -la '" + mnt +
                  "' > /dev/null"});
    daemon.Kill(SIGUSR1);  // a status report in the log too
    REQUIRE(home.Gdmount({"status", mnt}).first == 0);
    REQUIRE(home.Gdmount({"unmount", mnt}).first == 0);
    REQUIRE(daemon.Wait(kWait) == 0);
    logs += daemon.Stderr();
  }
  std::ifstream in(home.dir.path() + "/config/gdmount/default/token.json");
  auto token = nlohmann::json::parse(in);
  const std::string refresh = token["refresh_token"];
  const std::string access = token["access_token"];
  INFO(logs.size() << " bytes of logs");
  CHECK(logs.size() > 1000);  // trace level: there is a lot to search
  CHECK(logs.find(refresh) == std::string::npos);
  CHECK(logs.find(access) == std::string::npos);
  CHECK(logs.find(code) == std::string::npos);
  // Every token the emulator issued looks like its kind; none is in the
  // log under any other name either.
  CHECK(logs.find("ya29.") == std::string::npos);
  CHECK(logs.find("1//0") == std::string::npos);
}

TEST_CASE("gdmount accounts lists who is signed in, help config every setting",
          "[cli]") {
  EmulatorFixture fx;
  Home nobody(fx, /*sign_in=*/false);
  auto [none, none_text] = nobody.Gdmount({"accounts"});
  CHECK(none == 1);
  CHECK_THAT(none_text, Catch::Contains("none signed in; run `gdmount auth`"));
  Home home(fx);
  auto [st, text] = home.Gdmount({"accounts"});
  CHECK(st == 0);
  CHECK(text == "default\tuser sign-in\n");
  auto [help, settings] = home.Gdmount({"help", "config"});
  CHECK(help == 0);
  for (const char* key : {"cache_budget", "poll_interval", "log_file",
                          "unmount_timeout", "staging_limit"})
    CHECK_THAT(settings, Catch::Contains(std::string("[key ") + key));
}

}  // namespace
}  // namespace gdmount
