#include "config/settings.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace gdmount::config {
namespace {

struct Env {
  std::map<std::string, std::string> vars;
  std::optional<std::string> operator()(const std::string& k) const {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }
};

struct TempConfigHome {
  TempConfigHome() {
    char tmpl[] = "/tmp/gdmount-settings-XXXXXX";
    dir = mkdtemp(tmpl);
    std::filesystem::create_directories(dir + "/gdmount");
  }
  ~TempConfigHome() { std::filesystem::remove_all(dir); }
  void Write(const std::string& text) {
    std::ofstream(dir + "/gdmount/config.toml") << text;
  }
  std::string dir;
};

TEST_CASE("Defaults point at Google over https", "[unit][config]") {
  TempConfigHome home;
  auto s = ResolveSettings({}, Env{{{"XDG_CONFIG_HOME", home.dir}}});
  REQUIRE(s.ok());
  CHECK(s->api_url == "https://www.googleapis.com");
  CHECK(s->token_url == "https://oauth2.googleapis.com/token");
  CHECK(s->account == "default");
  CHECK(s->config_file == home.dir + "/gdmount/config.toml");
}

TEST_CASE("Endpoint sets every URL and a specific URL overrides it",
          "[unit][config]") {
  TempConfigHome home;
  Env env{{{"XDG_CONFIG_HOME", home.dir}}};
  auto s = ResolveSettings({{"--endpoint", "http://127.0.0.1:4567/"}}, env);
  REQUIRE(s.ok());
  CHECK(s->api_url == "http://127.0.0.1:4567");
  CHECK(s->upload_url == "http://127.0.0.1:4567");
  CHECK(s->auth_url == "http://127.0.0.1:4567/o/oauth2/v2/auth");
  CHECK(s->token_url == "http://127.0.0.1:4567/token");
  // A per-URL setting in a lower layer still loses to the endpoint above
  // it, but within a layer the specific URL wins.
  auto t = ResolveSettings({{"--endpoint", "http://127.0.0.1:1"},
                            {"--token-url", "http://127.0.0.1:2/tok"}},
                           env);
  REQUIRE(t.ok());
  CHECK(t->token_url == "http://127.0.0.1:2/tok");
  CHECK(t->api_url == "http://127.0.0.1:1");
  env.vars["GDMOUNT_ENDPOINT"] = "http://localhost:9";
  auto u = ResolveSettings({}, env);
  REQUIRE(u.ok());
  CHECK(u->api_url == "http://localhost:9");
}

TEST_CASE("Precedence: file < environment < flags", "[unit][config]") {
  TempConfigHome home;
  home.Write(
      "client_id = \"from-file\"\nclient_secret = 'file-secret'\n"
      "pacer_rate = 5\nhttp2 = true\n");
  Env env{{{"XDG_CONFIG_HOME", home.dir}}};
  auto a = ResolveSettings({}, env);
  REQUIRE(a.ok());
  CHECK(a->client_id == "from-file");
  CHECK(a->client_secret == "file-secret");
  CHECK(a->pacer_rate == 5);
  CHECK(a->http2);
  env.vars["GDMOUNT_CLIENT_ID"] = "from-env";
  auto b = ResolveSettings({}, env);
  CHECK(b->client_id == "from-env");
  auto c = ResolveSettings({{"--client-id", "from-flag"}, {"--http2", "false"}},
                           env);
  CHECK(c->client_id == "from-flag");
  CHECK_FALSE(c->http2);
  CHECK(c->client_secret == "file-secret");
}

TEST_CASE("Bad settings name their source and the fix", "[unit][config]") {
  TempConfigHome home;
  Env env{{{"XDG_CONFIG_HOME", home.dir}}};
  home.Write("clinet_id = \"x\"\n");
  auto typo = ResolveSettings({}, env);
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().message().find("did you mean 'client_id'") !=
        std::string::npos);
  CHECK(typo.status().message().find(":1:") != std::string::npos);

  home.Write("\n\npacer_rate = \"fast\"\n");
  auto bad = ResolveSettings({}, env);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("config.toml:3: pacer_rate") !=
        std::string::npos);

  home.Write("");
  auto insecure =
      ResolveSettings({{"--endpoint", "http://drive.example.com"}}, env);
  REQUIRE_FALSE(insecure.ok());
  CHECK(insecure.status().message().find("loopback") != std::string::npos);

  auto chunk = ResolveSettings({{"--upload-chunk-size", "300000"}}, env);
  REQUIRE_FALSE(chunk.ok());
  CHECK(chunk.status().message().find("262144") != std::string::npos);

  env.vars["GDMOUNT_CONFIG"] = home.dir + "/missing.toml";
  auto missing = ResolveSettings({}, env);
  REQUIRE_FALSE(missing.ok());  // an explicitly named file must exist
}

}  // namespace
}  // namespace gdmount::config
