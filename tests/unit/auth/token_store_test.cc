#include "auth/token_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace gdmount::auth {
namespace {

// A private temp directory, removed with its contents afterwards.
using gdmount::testing::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  return out;
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

StoredCredentials UserCreds() {
  StoredCredentials c;
  c.type = kAuthorizedUser;
  c.client_id = "id.apps.googleusercontent.com";
  c.client_secret = "GOCSPX-s";
  c.refresh_token = "1//0refresh";
  c.access_token = "ya29.access";
  c.scope = "https://www.googleapis.com/auth/drive";
  c.token_url = "https://oauth2.googleapis.com/token";
  c.expiry_ms = 1'700'000'003'599'000;
  return c;
}

TEST_CASE("TokenStore round-trips credentials", "[unit]") {
  TempDir tmp;
  TokenStore store(tmp.path() + "/acct");
  CHECK(store.path() == tmp.path() + "/acct/token.json");
  REQUIRE(store.Save(UserCreds()).ok());
  Result<StoredCredentials> c = store.Load();
  REQUIRE(c.ok());
  StoredCredentials want = UserCreds();
  CHECK(c->type == want.type);
  CHECK(c->client_id == want.client_id);
  CHECK(c->client_secret == want.client_secret);
  CHECK(c->refresh_token == want.refresh_token);
  CHECK(c->access_token == want.access_token);
  CHECK(c->scope == want.scope);
  CHECK(c->token_url == want.token_url);
  CHECK(c->expiry_ms == want.expiry_ms);

  StoredCredentials sa;
  sa.type = kServiceAccount;
  sa.key_file = "/etc/gdmount/key.json";
  sa.subject = "user@example.com";
  sa.scope = "https://www.googleapis.com/auth/drive";
  REQUIRE(store.Save(sa).ok());
  Result<StoredCredentials> s = store.Load();
  REQUIRE(s.ok());
  CHECK(s->type == kServiceAccount);
  CHECK(s->key_file == sa.key_file);
  CHECK(s->subject == sa.subject);
  CHECK(s->refresh_token.empty());
}

TEST_CASE("TokenStore: file 0600, directory 0700, no temp files left",
          "[unit]") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/deep/er/acct";  // parents created
  TokenStore store(dir);
  mode_t old_umask = umask(0);  // even with a permissive umask
  Status s = store.Save(UserCreds());
  umask(old_umask);
  REQUIRE(s.ok());
  CHECK(ModeOf(store.path()) == 0600);
  CHECK(ModeOf(dir) == 0700);
  CHECK(ModeOf(tmp.path() + "/deep") == 0700);
  REQUIRE(store.Save(UserCreds()).ok());  // replacing works too
  CHECK(Entries(dir) == std::vector<std::string>{"token.json"});
}

TEST_CASE("TokenStore tightens a looser existing directory", "[unit]") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/acct";
  REQUIRE(mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(TokenStore(dir).Save(UserCreds()).ok());
  CHECK(ModeOf(dir) == 0700);
}

TEST_CASE("TokenStore::Load without a file says to sign in", "[unit]") {
  TempDir tmp;
  Result<StoredCredentials> c = TokenStore(tmp.path() + "/none").Load();
  CHECK(c.status().code() == StatusCode::kNotFound);
  CHECK(c.status().message().find("not signed in: run `gdmount auth`") == 0);
}

TEST_CASE("TokenStore::Load refuses a file other users can read", "[unit]") {
  TempDir tmp;
  TokenStore store(tmp.path());
  REQUIRE(store.Save(UserCreds()).ok());
  for (mode_t mode : {0640, 0604, 0660}) {
    REQUIRE(chmod(store.path().c_str(), mode) == 0);
    Result<StoredCredentials> c = store.Load();
    CHECK(c.status().code() == StatusCode::kPermissionDenied);
    CHECK(c.status().message().find("chmod 600 " + store.path()) !=
          std::string::npos);
  }
  REQUIRE(chmod(store.path().c_str(), 0400) == 0);
  CHECK(store.Load().ok());
}

TEST_CASE("TokenStore::Load reports malformed files as Corruption", "[unit]") {
  TempDir tmp;
  TokenStore store(tmp.path());
  for (const char* text :
       {"{not json", "[]", R"({"type":"authorized_user"})",
        R"({"type":"martian","client_id":"x","refresh_token":"y"})",
        R"({"client_id":"x","refresh_token":"y"})",
        R"({"type":"authorized_user","client_id":5,"refresh_token":"y"})",
        R"({"type":"authorized_user","client_id":"x","refresh_token":"y",)"
        R"("expiry_ms":"soon"})",
        R"({"type":"service_account"})"}) {
    INFO(text);
    WriteFile(store.path(), text, 0600);
    Result<StoredCredentials> c = store.Load();
    CHECK(c.status().code() == StatusCode::kCorruption);
    CHECK(c.status().message().find(store.path()) != std::string::npos);
  }
}

TEST_CASE("TokenStore::Save rejects unknown types", "[unit]") {
  TempDir tmp;
  StoredCredentials c = UserCreds();
  c.type = "";
  CHECK(TokenStore(tmp.path() + "/a").Save(c).code() ==
        StatusCode::kInvalidArgument);
  CHECK(Entries(tmp.path()).empty());
}

TEST_CASE("TokenStore::Save reports an unwritable directory", "[unit]") {
  if (geteuid() == 0) return;  // root ignores permissions
  TempDir tmp;
  const std::string dir = tmp.path() + "/ro";
  REQUIRE(mkdir(dir.c_str(), 0500) == 0);
  Status s = TokenStore(dir).Save(UserCreds());
  CHECK(s.code() == StatusCode::kIo);
  CHECK(s.message().find(dir) != std::string::npos);
  CHECK(Entries(dir).empty());
}

TEST_CASE("AccountConfigDir follows XDG and validates names", "[unit]") {
  const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "";
  std::string saved_home = old_home ? old_home : "";

  setenv("XDG_CONFIG_HOME", "/xdg", 1);
  setenv("HOME", "/home/u", 1);
  CHECK(*AccountConfigDir("default") == "/xdg/gdmount/default");
  setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
  CHECK(*AccountConfigDir("work.drive_2-x") ==
        "/home/u/.config/gdmount/work.drive_2-x");
  unsetenv("XDG_CONFIG_HOME");
  CHECK(*AccountConfigDir("a") == "/home/u/.config/gdmount/a");
  CHECK(AccountConfigDir(std::string(64, 'a')).ok());

  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".."),
        std::string(".hidden"), std::string("a/b"), std::string("../x"),
        std::string("sp ace"), std::string("é"), std::string(65, 'a'),
        std::string("a\0b", 3)}) {
    INFO(bad);
    CHECK(AccountConfigDir(bad).status().code() ==
          StatusCode::kInvalidArgument);
  }
  unsetenv("HOME");
  CHECK(AccountConfigDir("a").status().code() == StatusCode::kInvalidArgument);

  if (old_xdg) setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace gdmount::auth
