// `gdmount auth` as a user runs it: the real binary, its stdin and stdout,
// against an in-process emulator. Checks the three sign-in flows, the
// token file's modes, and that no secret reaches the terminal.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "util/url.h"

namespace gdmount {
namespace {

using testing::EmulatorFixture;
using testing::Subprocess;
constexpr auto kWait = std::chrono::seconds(20);

struct TempHome {
  TempHome() {
    char tmpl[] = "/tmp/gdmount-auth-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempHome() { std::filesystem::remove_all(dir); }
  std::string token_path(const std::string& account = "default") const {
    return dir + "/gdmount/" + account + "/token.json";
  }
  std::string dir;
};

std::unique_ptr<Subprocess> Gdmount(const EmulatorFixture& fx,
                                    const TempHome& home,
                                    std::vector<std::string> args) {
  std::vector<std::string> argv = {GDMOUNT_BIN, "--endpoint", fx.url()};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Subprocess>(
      argv, std::map<std::string, std::string>{{"XDG_CONFIG_HOME", home.dir},
                                               {"DISPLAY", ""},
                                               {"WAYLAND_DISPLAY", ""}});
}

// Reads the child's stdout up to the authorization URL (a line of its own).
std::string ReadAuthUrl(Subprocess& p) {
  auto line = p.ReadUntil("/o/oauth2/v2/auth?", kWait);
  REQUIRE(line);
  REQUIRE(line->rfind("http", 0) == 0);  // nothing else on the line
  return *line;
}

// What the browser does: follow the consent page to its redirect.
std::string Approve(const std::string& auth_url) {
  auto r = testing::HttpCall("GET", auth_url, "", {});
  REQUIRE(r.status == 302);
  return r.header("location");
}

std::string CodeOf(const std::string& redirect) {
  auto q = util::ParseQuery(redirect.substr(redirect.find('?') + 1));
  REQUIRE(q.ok());
  return q->at("code");
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str(), nullptr, false);
}

void CheckTokenFile(const TempHome& home,
                    const std::string& everything_printed) {
  struct stat st {};
  REQUIRE(stat(home.token_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  struct stat dst {};
  REQUIRE(stat((home.dir + "/gdmount/default").c_str(), &dst) == 0);
  CHECK((dst.st_mode & 0777) == 0700);
  auto token = ReadJson(home.token_path());
  REQUIRE(token.is_object());
  for (const char* secret : {"access_token", "refresh_token"}) {
    std::string value = token.value(secret, "");
    if (value.empty()) continue;
    INFO(secret);
    CHECK(everything_printed.find(value) == std::string::npos);
  }
  // No temporary files left next to it.
  int files = 0;
  for (auto& e :
       std::filesystem::directory_iterator(home.dir + "/gdmount/default"))
    files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("gdmount auth --headless with the pasted redirect URL",
          "[integration][auth][cli]") {
  EmulatorFixture fx;
  TempHome home;
  auto p = Gdmount(fx, home, {"auth", "--headless"});
  std::string url = ReadAuthUrl(*p);
  CHECK(url.find("code_challenge_method=S256") != std::string::npos);
  CHECK(url.find("access_type=offline") != std::string::npos);
  std::string redirect = Approve(url);
  p->Write(redirect + "\n");
  REQUIRE(p->Wait(kWait) == 0);
  auto rest = p->ReadUntil("Token saved", kWait);
  CHECK(p->output().find("Signed in as") != std::string::npos);
  auto token = ReadJson(home.token_path());
  CHECK(token["type"] == "authorized_user");
  CHECK_FALSE(token.value("refresh_token", "").empty());
  CheckTokenFile(home, p->output() + p->Stderr() + redirect);
  // The code itself was used once and is not in the token file either.
  CHECK(token.dump().find(CodeOf(redirect)) == std::string::npos);
}

TEST_CASE("gdmount auth --headless with the bare code, for a named account",
          "[integration][auth][cli]") {
  EmulatorFixture fx;
  TempHome home;
  auto p = Gdmount(fx, home, {"--account", "work", "auth", "--headless"});
  std::string redirect = Approve(ReadAuthUrl(*p));
  p->Write("  " + CodeOf(redirect) + "  \n");
  REQUIRE(p->Wait(kWait) == 0);
  CHECK(p->output().find("account \"work\"") != std::string::npos);
  CHECK(std::filesystem::exists(home.token_path("work")));
  CHECK_FALSE(std::filesystem::exists(home.token_path("default")));
}

TEST_CASE("gdmount usage errors exit 2 with the fix", "[integration][cli]") {
  TempHome home;
  std::map<std::string, std::string> env{{"XDG_CONFIG_HOME", home.dir}};
  Subprocess typo({GDMOUNT_BIN, "auth", "--headles"}, env);
  REQUIRE(typo.Wait(kWait) == 2);
  CHECK(typo.Stderr().find("did you mean --headless?") != std::string::npos);
  Subprocess stray({GDMOUNT_BIN, "auth", "now"}, env);
  REQUIRE(stray.Wait(kWait) == 2);
  Subprocess account({GDMOUNT_BIN, "--account", "../etc", "auth"}, env);
  REQUIRE(account.Wait(kWait) == 2);
  // mount checks the account name before making any state directory.
  env["XDG_STATE_HOME"] = home.dir + "/state";
  Subprocess mount_account(
      {GDMOUNT_BIN, "--account", "../escape", "mount", home.dir}, env);
  REQUIRE(mount_account.Wait(kWait) == 2);
  CHECK_FALSE(std::filesystem::exists(home.dir + "/escape"));
  CHECK_FALSE(std::filesystem::exists(home.dir + "/state"));
  Subprocess insecure(
      {GDMOUNT_BIN, "--endpoint", "http://drive.example.com", "auth"}, env);
  REQUIRE(insecure.Wait(kWait) == 2);
  CHECK(insecure.Stderr().find("loopback") != std::string::npos);
  Subprocess help({GDMOUNT_BIN, "help", "auth"}, env);
  REQUIRE(help.Wait(kWait) == 0);
  CHECK(help.output().find("--headless") != std::string::npos);
}

TEST_CASE(
    "gdmount auth --headless refuses a URL from another attempt, then "
    "accepts the right one",
    "[integration][auth][cli]") {
  EmulatorFixture fx;
  TempHome home;
  auto p = Gdmount(fx, home, {"auth", "--headless"});
  std::string redirect = Approve(ReadAuthUrl(*p));
  std::string forged = redirect;
  auto state = forged.find("state=");
  REQUIRE(state != std::string::npos);
  forged[state + 6] = forged[state + 6] == 'A' ? 'B' : 'A';
  p->Write(forged + "\n");
  p->Write(redirect + "\n");
  REQUIRE(p->Wait(kWait) == 0);
  std::string all = p->output() + p->Stderr();
  CHECK(all.find("state") != std::string::npos);
  CHECK(all.find("Signed in as") != std::string::npos);
}

TEST_CASE("gdmount auth --headless: Ctrl-D and garbage are clear failures",
          "[integration][auth][cli]") {
  EmulatorFixture fx;
  TempHome home;
  SECTION("end of input") {
    auto p = Gdmount(fx, home, {"auth", "--headless"});
    ReadAuthUrl(*p);
    p->CloseStdin();
    REQUIRE(p->Wait(kWait) == 1);
    CHECK(p->Stderr().find("cancelled") != std::string::npos);
  }
  SECTION("a used code") {
    auto first = Gdmount(fx, home, {"auth", "--headless"});
    std::string redirect = Approve(ReadAuthUrl(*first));
    first->Write(redirect + "\n");
    REQUIRE(first->Wait(kWait) == 0);
    // Replaying the same code in a new attempt: bare codes skip the state
    // check, so the token endpoint is the one that refuses it.
    auto second = Gdmount(fx, home, {"auth", "--headless"});
    ReadAuthUrl(*second);
    second->Write(CodeOf(redirect) + "\n");
    REQUIRE(second->Wait(kWait) == 1);
    std::string err = second->Stderr();
    CHECK((err.find("expired") != std::string::npos ||
           err.find("used") != std::string::npos ||
           err.find("invalid") != std::string::npos));
  }
}

TEST_CASE("gdmount auth with a loopback redirect", "[integration][auth][cli]") {
  EmulatorFixture fx;
  TempHome home;
  auto p = Gdmount(fx, home, {"auth", "--no-browser", "--timeout", "30"});
  std::string redirect = Approve(ReadAuthUrl(*p));
  // A stale tab from another attempt is refused, and the wait goes on.
  std::string stale = redirect;
  char& first = stale[stale.find("state=") + 6];
  first = first == 'Z' ? 'Y' : 'Z';
  auto refused = testing::HttpCall("GET", stale, "", {});
  CHECK(refused.status == 400);
  // The browser follows the redirect to gdmount's listener.
  auto page = testing::HttpCall("GET", redirect, "", {});
  CHECK(page.status == 200);
  CHECK(page.body.find("close this tab") != std::string::npos);
  REQUIRE(p->Wait(kWait) == 0);
  CHECK(p->output().find("Signed in as") != std::string::npos);
  CheckTokenFile(home, p->output() + p->Stderr());
}

TEST_CASE(
    "gdmount auth --service-account: a good key signs in, a bad "
    "signature is refused",
    "[integration][auth][cli]") {
  EmulatorFixture fx;
  // The child signs JWTs with the real clock: bring the emulator's to it.
  fx.AdvanceMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() -
               fx.now_ms());
  TempHome home;
  auto created = fx.Raw(
      "POST",
      "/__emulator/service-account?email=robot%40proj.iam.gserviceaccount.com");
  REQUIRE(created.status == 200);
  nlohmann::json key = created.json();
  std::string key_path = home.dir + "/key.json";
  std::ofstream(key_path) << key.dump();
  auto ok = Gdmount(fx, home, {"auth", "--service-account", key_path});
  auto status = ok->Wait(kWait);
  INFO(ok->Stderr());
  REQUIRE(status == 0);
  CHECK(ok->output().find("Signed in as") != std::string::npos);
  auto token = ReadJson(home.token_path());
  CHECK(token["type"] == "service_account");
  CHECK(token.dump().find("PRIVATE KEY") == std::string::npos);  // path only

  // Same account, key from another service account: the signature fails.
  auto other = fx.Raw(
      "POST",
      "/__emulator/service-account?email=other%40proj.iam.gserviceaccount.com");
  REQUIRE(other.status == 200);
  key["private_key"] = other.json()["private_key"];
  std::string forged_path = home.dir + "/forged.json";
  std::ofstream(forged_path) << key.dump();
  TempHome home2;
  auto bad = Gdmount(fx, home2, {"auth", "--service-account", forged_path});
  REQUIRE(bad->Wait(kWait) == 1);
  CHECK(bad->Stderr().find("Signature") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(home2.token_path()));
}

TEST_CASE("gdmount auth against Google without a client id explains the fix",
          "[integration][auth][cli]") {
  TempHome home;
  Subprocess p({GDMOUNT_BIN, "auth", "--headless"},
               {{"XDG_CONFIG_HOME", home.dir}, {"GDMOUNT_ENDPOINT", ""}});
  REQUIRE(p.Wait(kWait) == 1);
  std::string err = p.Stderr();
  CHECK(err.find("client") != std::string::npos);
  CHECK(err.find("docs/auth.md") != std::string::npos);
}

}  // namespace
}  // namespace gdmount
