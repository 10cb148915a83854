// changes.* and OAuth over HTTP: every mutation is a change; tokens expire.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <set>

#include "tests/support/emulator_fixture.h"

using gdmount::testing::EmulatorFixture;
using gdmount::testing::Q;

TEST_CASE("changes.list reports creates, updates, trashes and deletes",
          "[integration]") {
  EmulatorFixture fx;
  std::string start = fx.Call("GET", "/drive/v3/changes/startPageToken")
                          .json()["startPageToken"];
  auto a = fx.Upload("a", "1");
  auto b = fx.Upload("b", "2");
  fx.Call("PATCH", "/drive/v3/files/" + a["id"].get<std::string>(),
          R"({"trashed":true})", {"Content-Type: application/json"});
  fx.Call("DELETE", "/drive/v3/files/" + b["id"].get<std::string>());
  std::map<std::string, nlohmann::json> latest;
  std::string token = start, next_start;
  int pages = 0;
  while (true) {
    auto r = fx.Call("GET", "/drive/v3/changes?pageSize=1&pageToken=" + token +
                                "&fields=nextPageToken,newStartPageToken,"
                                "changes(fileId,removed,file(trashed))");
    REQUIRE(r.status == 200);
    auto j = r.json();
    for (const auto& c : j["changes"]) latest[c["fileId"]] = c;
    ++pages;
    if (j.contains("nextPageToken")) {
      CHECK_FALSE(j.contains("newStartPageToken"));
      token = j["nextPageToken"];
    } else {
      next_start = j["newStartPageToken"];
      break;
    }
  }
  CHECK(pages >= 2);
  CHECK(latest[a["id"]]["removed"] == false);
  CHECK(latest[a["id"]]["file"]["trashed"] == true);  // trash is not removal
  CHECK(latest[b["id"]]["removed"] == true);
  CHECK_FALSE(latest[b["id"]].contains("file"));
  // Nothing new since: an empty page with the same start token.
  auto idle =
      fx.Call("GET", "/drive/v3/changes?pageToken=" + next_start).json();
  CHECK(idle["changes"].empty());
  CHECK(idle["newStartPageToken"] == next_start);
  // includeRemoved=false hides the deletion.
  auto no_removed =
      fx.Call("GET", "/drive/v3/changes?includeRemoved=false&pageToken=" +
                         start + "&fields=changes(fileId)")
          .json();
  for (const auto& c : no_removed["changes"]) CHECK(c["fileId"] != b["id"]);
  CHECK(fx.Call("GET", "/drive/v3/changes").status ==
        400);  // pageToken required
  CHECK(fx.Call("GET", "/drive/v3/changes?pageToken=abc").status == 400);
}

namespace {

std::string S256(const std::string& verifier) {
  unsigned char md[32];
  unsigned len = 0;
  EVP_Digest(verifier.data(), verifier.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (unsigned i = 0; i < len; ++i) {
    buf = (buf << 8) | md[i];
    bits += 8;
    while (bits >= 6) out.push_back(kAlphabet[(buf >> (bits -= 6)) & 63]);
  }
  if (bits) out.push_back(kAlphabet[(buf << (6 - bits)) & 63]);
  return out;
}

std::string QueryValue(const std::string& url, const std::string& key) {
  size_t p = url.find(key + "=");
  if (p == std::string::npos) return "";
  size_t e = url.find('&', p);
  return url.substr(p + key.size() + 1, e == std::string::npos
                                            ? std::string::npos
                                            : e - p - key.size() - 1);
}

}  // namespace

TEST_CASE("OAuth code flow with PKCE over HTTP, refresh, expiry",
          "[integration]") {
  gdmount::emulator::EmulatorOptions opts;
  opts.oauth.access_token_lifetime_s = 60;
  EmulatorFixture fx(opts);
  std::string verifier(64, 'v');
  std::string redirect = "http://127.0.0.1:5555/";
  auto auth = fx.Raw("GET", "/o/oauth2/v2/auth?client_id=cid&redirect_uri=" +
                                Q(redirect) + "&response_type=code&scope=" +
                                Q("https://www.googleapis.com/auth/drive") +
                                "&code_challenge=" + S256(verifier) +
                                "&code_challenge_method=S256&state=xyz");
  REQUIRE(auth.status == 302);
  std::string loc = auth.header("location");
  CHECK(loc.rfind(redirect, 0) == 0);
  CHECK(QueryValue(loc, "state") == "xyz");
  std::string code = QueryValue(loc, "code");
  REQUIRE_FALSE(code.empty());
  auto wrong =
      fx.Raw("POST", "/token",
             "grant_type=authorization_code&client_id=cid&code=" + code +
                 "&redirect_uri=" + Q(redirect) +
                 "&code_verifier=" + std::string(64, 'w'),
             {"Content-Type: application/x-www-form-urlencoded"});
  CHECK(wrong.status == 400);
  // A failed verifier attempt burns nothing we rely on: a fresh code is used.
  auth = fx.Raw("GET",
                "/o/oauth2/v2/auth?client_id=cid&redirect_uri=" + Q(redirect) +
                    "&response_type=code&scope=drive&code_challenge=" +
                    S256(verifier) + "&code_challenge_method=S256");
  code = QueryValue(auth.header("location"), "code");
  auto tok =
      fx.Raw("POST", "/token",
             "grant_type=authorization_code&client_id=cid&code=" + code +
                 "&redirect_uri=" + Q(redirect) + "&code_verifier=" + verifier,
             {"Content-Type: application/x-www-form-urlencoded"});
  REQUIRE(tok.status == 200);
  std::string access = tok.json()["access_token"],
              refresh = tok.json()["refresh_token"];
  auto use = fx.Raw("GET", "/drive/v3/files/root?fields=id", "",
                    {"Authorization: Bearer " + access});
  CHECK(use.status == 200);
  fx.AdvanceMs(61'000);
  auto expired = fx.Raw("GET", "/drive/v3/files/root", "",
                        {"Authorization: Bearer " + access});
  CHECK(expired.status == 401);
  CHECK(expired.reason() == "authError");
  auto refreshed = fx.Raw(
      "POST", "/token",
      "grant_type=refresh_token&client_id=cid&refresh_token=" + Q(refresh),
      {"Content-Type: application/x-www-form-urlencoded"});
  REQUIRE(refreshed.status == 200);
  CHECK_FALSE(refreshed.json().contains("refresh_token"));
  CHECK(fx.Raw("GET", "/drive/v3/files/root", "",
               {"Authorization: Bearer " +
                refreshed.json()["access_token"].get<std::string>()})
            .status == 200);
  CHECK(fx.Raw("GET", "/drive/v3/files/root", "",
               {"Authorization: Bearer made-up"})
            .status == 401);
}

TEST_CASE("service-account JWT grant against an emulator-made key",
          "[integration]") {
  EmulatorFixture fx;
  auto key =
      fx.Raw("POST",
             "/__emulator/service-account?email=sa@x.iam.gserviceaccount.com")
          .json();
  REQUIRE(key["type"] == "service_account");
  CHECK(key["token_uri"] == fx.url() + "/token");
  CHECK(key.contains("private_key"));
}
