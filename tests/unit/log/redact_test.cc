#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gdmount/log.h"

namespace gdmount::log {
namespace {

// Each case: a line a careless caller might log, and the secret in it.
struct Case {
  const char* line;
  const char* secret;
};

TEST_CASE("Redact removes secrets in every shape they travel in",
          "[unit][log]") {
  const std::vector<Case> cases = {
      {"Authorization: Bearer ya29.a0AfB_secretvalue", "a0AfB_secretvalue"},
      {"authorization: bearer abc.DEF-123", "abc.DEF-123"},
      {"Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"},
      {"POST /token "
       "grant_type=refresh_token&refresh_token=1//0gSecret&client_id=x",
       "0gSecret"},
      {"body client_secret=GOCSPX-hush&code=4/0AbCd&code_verifier=verif123",
       "GOCSPX-hush"},
      {"body client_secret=GOCSPX-hush&code=4/0AbCd&code_verifier=verif123",
       "4/0AbCd"},
      {"body client_secret=GOCSPX-hush&code=4/0AbCd&code_verifier=verif123",
       "verif123"},
      {"GET /?state=s&code=4%2F0xyz&scope=drive", "4%2F0xyz"},
      {R"({"access_token":"tok-123","expires_in":3599})", "tok-123"},
      {R"({"refresh_token": "1//r-456"})", "r-456"},
      {R"({"private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"})",
       "MIIE"},
      {"assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln", "c2ln"},
      {"token eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln in text",
       "eyJpc3MiOiJ4In0"},
      {"stray ya29.c.b0Aaek in a message", "b0Aaek"},
      {"session "
       "http://127.0.0.1:1/upload/drive/v3/"
       "files?uploadType=resumable&upload_id=SeSsIoN",
       "SeSsIoN"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    std::string out = Redact(c.line);
    CHECK(out.find(c.secret) == std::string::npos);
    CHECK(out.find("[REDACTED]") != std::string::npos);
  }
}

// Under ThreadSanitizer (scripts/test --tsan) this is the check that
// redacting from many threads shares no unsynchronised state; std::regex's
// character cache once did (see redact.cc). The threads make this process's
// first redactions, all at once.
TEST_CASE("Redact gives the same answer from many threads at once",
          "[unit][log]") {
  const std::string line =
      "POST /token refresh_token=1//0gSecret Authorization: Bearer ya29.x "
      R"({"code":"4/0AbCd"} word boundaries)";
  std::vector<std::string> got(4);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < static_cast<int>(got.size())) {
      }
      for (int i = 0; i < 20; ++i) got[t] = Redact(line);
    });
  for (auto& th : threads) th.join();
  CHECK(got[0].find("0gSecret") == std::string::npos);
  CHECK(got[0].find("4/0AbCd") == std::string::npos);
  for (const std::string& g : got) CHECK(g == got[0]);
}

TEST_CASE("Redact leaves ordinary lines alone", "[unit][log]") {
  for (const char* line :
       {"files.get 200 in 12 ms (attempt 1)", "HTTP code: 404 notFound",
        "retrying files.list after 503 backendError in 1200 ms",
        "listing 'datasets' (1000 entries)"}) {
    CHECK(Redact(line) == line);
  }
}

TEST_CASE("Log messages reach the sink redacted and filtered by level",
          "[unit][log]") {
  std::vector<std::string> seen;
  Sink previous =
      SetSink([&](Level, const std::string& m) { seen.push_back(m); });
  Level old_level = GetLevel();
  SetLevel(Level::kInfo);
  GDMOUNT_LOG(kInfo) << "Authorization: Bearer sekrit";
  GDMOUNT_LOG(kDebug) << "dropped";
  SetLevel(old_level);
  SetSink(previous);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == "Authorization: Bearer [REDACTED]");
}

}  // namespace
}  // namespace gdmount::log
