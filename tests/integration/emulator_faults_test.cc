// Fault injection, rate limits, shaping switches and request statistics.
#include <curl/curl.h>

#include <catch2/catch.hpp>

#include "tests/support/emulator_fixture.h"

using gdmount::testing::EmulatorFixture;

TEST_CASE("stats count API calls by method, reset zeroes them",
          "[integration]") {
  EmulatorFixture fx;
  fx.Raw("POST", "/__emulator/reset-stats");
  std::string id = fx.Upload("s", "abc")["id"];
  fx.Call("GET", "/drive/v3/files?pageSize=10");
  fx.Call("GET", "/drive/v3/files?pageSize=10");
  fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
  auto s = fx.Stats();
  CHECK(s["methods"]["files.create"] == 1);
  CHECK(s["methods"]["files.list"] == 2);
  CHECK(s["methods"]["files.get.media"] == 1);
  CHECK(s["media_bytes_served"] == 3);
  CHECK(s["requests"] == 4);
  fx.Raw("POST", "/__emulator/reset-stats");
  CHECK(fx.Stats()["requests"] == 0);
}

TEST_CASE("nth-request faults: 503 then success, 429 with Retry-After",
          "[integration]") {
  EmulatorFixture fx;
  auto cfg = fx.Raw(
      "POST", "/__emulator/faults",
      R"({"faults":["503:nth=1:method=files.list","429:nth=2:method=files.list"],
                        "rate_limit":{"qps":0}})");
  REQUIRE(cfg.status == 200);
  auto first = fx.Call("GET", "/drive/v3/files");
  CHECK(first.status == 503);
  CHECK(first.reason() == "backendError");
  auto second = fx.Call("GET", "/drive/v3/files");
  CHECK(second.status == 429);
  CHECK(second.header("retry-after") == "1");
  CHECK(fx.Call("GET", "/drive/v3/files").status == 200);
  CHECK(fx.Stats()["faults_injected"]["503"] == 1);
  CHECK(fx.Raw("POST", "/__emulator/faults", R"({"faults":["bogus:rate=1"]})")
            .status == 400);
}

TEST_CASE("reset and truncate faults never deliver a complete wrong body",
          "[integration]") {
  EmulatorFixture fx;
  std::string bytes(200000, 'z');
  std::string id = fx.Upload("cut", bytes)["id"];
  fx.Raw("POST", "/__emulator/faults",
         R"({"faults":["truncate:nth=1:method=files.get.media"]})");
  auto truncated = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
  CHECK(truncated.curl_code == CURLE_PARTIAL_FILE);
  CHECK(truncated.body.size() < bytes.size());
  fx.Raw("POST", "/__emulator/faults",
         R"({"faults":["reset:nth=1:method=files.get.media"]})");
  auto reset = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
  CHECK(reset.curl_code != CURLE_OK);
  // A reset on a mutation: the change happened, the answer was lost.
  fx.Raw("POST", "/__emulator/faults",
         R"({"faults":["reset:nth=1:method=files.update"]})");
  auto lost = fx.Call("PATCH", "/drive/v3/files/" + id, R"({"name":"renamed"})",
                      {"Content-Type: application/json"});
  CHECK(lost.curl_code != CURLE_OK);
  CHECK(
      fx.Call("GET", "/drive/v3/files/" + id + "?fields=name").json()["name"] ==
      "renamed");
  auto ok = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
  CHECK(ok.body == bytes);
}

TEST_CASE("401 fault revokes the access token", "[integration]") {
  EmulatorFixture fx;
  fx.Raw("POST", "/__emulator/faults", R"({"faults":["401:nth=1"]})");
  auto r = fx.Call("GET", "/drive/v3/files");
  CHECK(r.status == 401);
  CHECK(r.reason() == "authError");
  CHECK(r.header("www-authenticate").find("Bearer") == 0);
}

TEST_CASE("rate limit answers 403 userRateLimitExceeded over budget",
          "[integration]") {
  gdmount::emulator::EmulatorOptions opts;
  opts.rate_limit.requests_per_s = 2;
  opts.rate_limit.burst = 2;
  EmulatorFixture fx(opts);
  CHECK(fx.Call("GET", "/drive/v3/files").status == 200);
  CHECK(fx.Call("GET", "/drive/v3/files").status == 200);
  auto limited =
      fx.Call("GET", "/drive/v3/files");  // the fake clock has not moved
  CHECK(limited.status == 403);
  CHECK(limited.reason() == "userRateLimitExceeded");
  CHECK(limited.json()["error"]["errors"][0]["domain"] == "usageLimits");
  fx.AdvanceMs(1000);
  CHECK(fx.Call("GET", "/drive/v3/files").status == 200);
  CHECK(fx.Stats()["rate_limited"] == 1);
}

TEST_CASE("malformed HTTP gets 400, not a crash", "[integration]") {
  EmulatorFixture fx;
  auto bad_json = fx.Call("POST", "/drive/v3/files", "{not json",
                          {"Content-Type: application/json"});
  CHECK(bad_json.status == 400);
  CHECK(bad_json.reason() == "parseError");
  auto big_header = fx.Call("GET", "/drive/v3/files", "",
                            {"X-Big: " + std::string(70000, 'a')});
  CHECK(big_header.status == 431);
  CHECK(fx.Call("GET", "/drive/v3/files").status == 200);  // still serving
}

TEST_CASE("body faults damage successful JSON answers, never media",
          "[integration]") {
  EmulatorFixture fx;
  std::string bytes = "twelve bytes";
  std::string id = fx.Upload("body.txt", bytes)["id"];
  auto set = [&](const std::string& rule) {
    REQUIRE(fx.Raw("POST", "/__emulator/faults",
                   R"({"faults":[")" + rule + R"("]})")
                .status == 200);
  };

  set("malformed:nth=1:method=files.get");
  auto bad = fx.Call("GET", "/drive/v3/files/" + id + "?fields=id,size");
  CHECK(bad.status == 200);
  CHECK(bad.curl_code == CURLE_OK);  // Content-Length matches the body
  CHECK(bad.header("content-type").find("application/json") == 0);
  CHECK_FALSE(bad.body.empty());
  CHECK(nlohmann::json::parse(bad.body, nullptr, false).is_discarded());
  CHECK(fx.Call("GET", "/drive/v3/files/" + id).json()["id"] == id);

  set("omit:nth=1:field=size:method=files.list");
  auto listed = fx.Call("GET", "/drive/v3/files?fields=files(id,name,size)");
  REQUIRE(listed.status == 200);
  REQUIRE(listed.json()["files"].size() == 1);
  CHECK(listed.json()["files"][0]["id"] == id);
  CHECK_FALSE(listed.json()["files"][0].contains("size"));

  set("badsize:nth=1:delta=7:method=files.get");
  auto sized = fx.Call("GET", "/drive/v3/files/" + id + "?fields=size");
  CHECK(sized.json()["size"] == std::to_string(bytes.size() + 7));
  CHECK(
      fx.Call("GET", "/drive/v3/files/" + id + "?fields=size").json()["size"] ==
      std::to_string(bytes.size()));

  // Downloads are never damaged, whatever the rule matches.
  for (const char* rule :
       {"malformed:rate=1", "omit:rate=1:field=size", "badsize:rate=1"}) {
    set(rule);
    auto media = fx.Call("GET", "/drive/v3/files/" + id + "?alt=media");
    CHECK(media.status == 200);
    CHECK(media.body == bytes);
  }
  auto stats = fx.Stats()["faults_injected"];
  CHECK(stats["malformed"] == 1);
  CHECK(stats["omit"] == 1);
  CHECK(stats["badsize"] == 1);
  CHECK(fx.Raw("POST", "/__emulator/faults", R"({"faults":["omit:rate=1"]})")
            .status == 400);
}

TEST_CASE("body faults leave error answers alone", "[integration]") {
  EmulatorFixture fx;
  fx.Raw("POST", "/__emulator/faults", R"({"faults":["malformed:rate=1"]})");
  auto missing = fx.Call("GET", "/drive/v3/files/nope");
  CHECK(missing.status == 404);
  CHECK(missing.reason() == "notFound");
}
