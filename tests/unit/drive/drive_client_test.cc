// DriveClientImpl against a scripted FakeTransport and a FakeClock: the
// retry loop, token refresh, idempotent creates and resumed downloads,
// asserted by the requests the client sent and the time it slept.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "drive/drive_client_impl.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/support/string_sink.h"

namespace gdmount::drive {
namespace {

using testing::Answer;
using testing::DriveError;
using testing::FakeClock;
using testing::FakeTransport;

// Hands out "Bearer t1", "Bearer t2"... and counts invalidations.
class CountingTokens : public TokenSource {
 public:
  Result<std::string> AuthorizationHeader() override {
    if (fail_) return Status(StatusCode::kUnauthenticated, "run gdmount auth");
    return "Bearer t" + std::to_string(generation_.load());
  }
  void Invalidate(const std::string& header) override {
    if (header == "Bearer t" + std::to_string(generation_.load())) {
      ++generation_;
      ++invalidations;
    }
  }
  std::atomic<int> invalidations{0};
  bool fail_ = false;

 private:
  std::atomic<int> generation_{1};
};

struct Rig {
  explicit Rig(FakeTransport::Handler handler, RetryOptions retry = {})
      : transport(std::move(handler)) {
    DriveClientOptions o;
    o.endpoints.api_root = "http://127.0.0.1:9";
    o.endpoints.upload_root = "http://127.0.0.1:9";
    o.retry = retry;
    o.pacer.rate_per_s = 0;
    client = std::make_unique<DriveClientImpl>(o, &transport, &tokens, &clock,
                                               random.get());
  }
  FakeClock clock;
  std::unique_ptr<RandomSource> random = MakeSeededRandom(7);
  CountingTokens tokens;
  FakeTransport transport;
  std::unique_ptr<DriveClientImpl> client;
};

const char* kFile =
    R"({"id":"f1","name":"a.txt","mimeType":"text/plain","size":"3"})";

TEST_CASE("Transient errors are retried with backoff until success",
          "[unit][drive][client]") {
  int n = 0;
  Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
    ++n;
    if (n == 1) return DriveError(503, "backendError");
    if (n == 2) return Status(StatusCode::kUnavailable, "connection reset");
    if (n == 3) return DriveError(403, "userRateLimitExceeded");
    return Answer(200, kFile);
  });
  auto f = rig.client->GetFile("f1");
  REQUIRE(f.ok());
  CHECK(f->name == "a.txt");
  CHECK(rig.transport.count() == 4);
  auto sleeps = rig.clock.sleeps();
  REQUIRE(sleeps.size() == 3);
  // Full jitter below 1 s, 2 s, 4 s.
  CHECK(sleeps[0] < std::chrono::seconds(1));
  CHECK(sleeps[1] < std::chrono::seconds(2));
  CHECK(sleeps[2] < std::chrono::seconds(4));
  CHECK(rig.client->stats().retries == 3);
  CHECK(rig.client->stats().rate_limited == 1);
}

TEST_CASE("Retry-After is honoured", "[unit][drive][client]") {
  int n = 0;
  Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
    if (++n == 1)
      return DriveError(429, "rateLimitExceeded", {{"retry-after", "7"}});
    return Answer(200, kFile);
  });
  REQUIRE(rig.client->GetFile("f1").ok());
  REQUIRE(rig.clock.sleeps().size() == 1);
  CHECK(rig.clock.sleeps()[0] >= std::chrono::seconds(7));
}

TEST_CASE("Permanent errors are not retried", "[unit][drive][client]") {
  for (auto [status, reason, code] :
       {std::tuple{404, "notFound", StatusCode::kNotFound},
        std::tuple{403, "insufficientFilePermissions",
                   StatusCode::kPermissionDenied},
        std::tuple{403, "storageQuotaExceeded", StatusCode::kQuotaExceeded},
        std::tuple{400, "invalid", StatusCode::kInvalidArgument},
        std::tuple{403, "dailyLimitExceeded", StatusCode::kRateLimited}}) {
    INFO(reason);
    Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
      return DriveError(status, reason);
    });
    auto f = rig.client->GetFile("f1");
    REQUIRE_FALSE(f.ok());
    CHECK(f.status().code() == code);
    CHECK(rig.transport.count() == 1);
    CHECK(rig.clock.sleeps().empty());
  }
}

TEST_CASE("Attempts per call are capped", "[unit][drive][client]") {
  RetryOptions retry;
  retry.max_attempts = 4;
  Rig rig(
      [](const HttpRequest&) -> Result<HttpResponse> {
        return DriveError(500, "internalError");
      },
      retry);
  auto f = rig.client->GetFile("f1");
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == StatusCode::kUnavailable);
  CHECK(rig.transport.count() == 4);
  CHECK(rig.client->stats().failures == 1);
}

TEST_CASE("The retry budget stops retry storms", "[unit][drive][client]") {
  RetryOptions retry;
  retry.budget_capacity = 3;
  retry.budget_ratio = 0;  // no refills: only the reserve
  Rig rig(
      [](const HttpRequest&) -> Result<HttpResponse> {
        return DriveError(503, "backendError");
      },
      retry);
  CHECK_FALSE(rig.client->GetFile("a").ok());
  CHECK(rig.transport.count() == 4);  // 1 + the 3 reserve retries
  CHECK_FALSE(rig.client->GetFile("b").ok());
  CHECK(rig.transport.count() == 5);  // budget spent: no retry at all
}

TEST_CASE("A 401 refreshes the token and retries at once",
          "[unit][drive][client]") {
  Rig rig([](const HttpRequest& r) -> Result<HttpResponse> {
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization" && v == "Bearer t2") return Answer(200, kFile);
    return DriveError(401, "authError");
  });
  REQUIRE(rig.client->GetFile("f1").ok());
  CHECK(rig.tokens.invalidations == 1);
  CHECK(rig.transport.count() == 2);
  CHECK(rig.clock.sleeps().empty());

  // The fresh token revoked too before it was used (t2 and t3 rejected):
  // each new token gets its chance.
  Rig revoked([](const HttpRequest& r) -> Result<HttpResponse> {
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization" && v == "Bearer t4") return Answer(200, kFile);
    return DriveError(401, "authError");
  });
  REQUIRE(revoked.client->GetFile("f1").ok());
  CHECK(revoked.tokens.invalidations == 3);
  CHECK(revoked.transport.count() == 4);
  CHECK(revoked.clock.sleeps().empty());

  // Tokens that keep failing: three refreshes, then the 401 is the answer.
  Rig stubborn([](const HttpRequest&) -> Result<HttpResponse> {
    return DriveError(401, "authError");
  });
  auto f = stubborn.client->GetFile("f1");
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == StatusCode::kUnauthenticated);
  CHECK(stubborn.transport.count() == 4);
  CHECK(stubborn.tokens.invalidations == 3);
}

TEST_CASE("A signed-out token source fails the call without retries",
          "[unit][drive][client]") {
  Rig rig([](const HttpRequest&) -> Result<HttpResponse> {
    return Answer(200, kFile);
  });
  rig.tokens.fail_ = true;
  auto f = rig.client->GetFile("f1");
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == StatusCode::kUnauthenticated);
  CHECK(rig.transport.count() == 0);
}

using testing::StringSink;

std::string Header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

// Serves `content` honouring "Range: bytes=A-B" / "bytes=A-".
HttpResponse Ranged(const std::string& content, const HttpRequest& r,
                    HttpHeaders extra = {}) {
  long long a = 0, b = static_cast<long long>(content.size()) - 1;
  std::string range = Header(r, "Range");
  int fields = std::sscanf(range.c_str(), "bytes=%lld-%lld", &a, &b);
  if (fields < 1) return Answer(200, content, extra);
  if (a >= static_cast<long long>(content.size()))
    return DriveError(416, "requestedRangeNotSatisfiable");
  b = std::min<long long>(b, static_cast<long long>(content.size()) - 1);
  extra.emplace_back("content-range", "bytes " + std::to_string(a) + "-" +
                                          std::to_string(b) + "/" +
                                          std::to_string(content.size()));
  return Answer(206, content.substr(a, b - a + 1), extra);
}

TEST_CASE("A download cut mid-body resumes from the byte it stopped at",
          "[unit][drive][client]") {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += static_cast<char>('a' + i % 26);
  int n = 0;
  Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
    ++n;
    if (n <= 2) return Ranged(content, r, {{"x-fake-cut-after", "100"}});
    return Ranged(content, r);
  });
  StringSink sink;
  auto got = rig.client->Download("f1", 50, 700, sink);
  REQUIRE(got.ok());
  CHECK(*got == 700);
  CHECK(sink.data == content.substr(50, 700));
  auto reqs = rig.transport.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(Header(reqs[0], "Range") == "bytes=50-749");
  CHECK(Header(reqs[1], "Range") == "bytes=150-749");
  CHECK(Header(reqs[2], "Range") == "bytes=250-749");
}

TEST_CASE("Download edge cases: 416, ignored Range, wrong Content-Range",
          "[unit][drive][client]") {
  const std::string content = "0123456789";
  SECTION("a range past the end is 0 bytes") {
    Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
      return Ranged(content, r);
    });
    StringSink sink;
    auto got = rig.client->Download("f1", 10, std::nullopt, sink);
    REQUIRE(got.ok());
    CHECK(*got == 0);
  }
  SECTION("a server that ignores Range: the prefix is skipped") {
    Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
      return Answer(200, content);
    });
    StringSink sink;
    auto got = rig.client->Download("f1", 3, 4, sink);
    REQUIRE(got.ok());
    CHECK(sink.data == "3456");
  }
  SECTION("an answer for other bytes is refused, never delivered") {
    Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
      return Answer(206, "01234", {{"content-range", "bytes 0-4/10"}});
    });
    StringSink sink;
    auto got = rig.client->Download("f1", 5, 5, sink);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == StatusCode::kIo);
    CHECK(sink.data.empty());
  }
}

TEST_CASE("A replayed create finds the file the lost attempt made",
          "[unit][drive][client]") {
  int generate_calls = 0, creates = 0;
  std::string created_body;
  Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/files/generateIds") != std::string::npos) {
      ++generate_calls;
      return Answer(
          200,
          R"({"kind":"drive#generatedIds","space":"drive","ids":["id1","id2","id3"]})");
    }
    if (r.method == "POST") {
      created_body = r.body;
      // The first create succeeds on the server but the answer is lost.
      if (++creates == 1) return Status(StatusCode::kUnavailable, "reset");
      return DriveError(409, "duplicate");
    }
    if (r.method == "GET" && r.url.find("/files/id1?") != std::string::npos)
      return Answer(
          200,
          R"({"id":"id1","name":"dir","mimeType":"application/vnd.google-apps.folder"})");
    return DriveError(404, "notFound");
  });
  auto dir = rig.client->CreateFolder("root", "dir");
  REQUIRE(dir.ok());
  CHECK(dir->id == "id1");
  CHECK(created_body.find("\"id\":\"id1\"") != std::string::npos);
  // The next create uses the next pre-generated id: no new generateIds call.
  creates = 100;
  auto again = rig.client->CreateFolder("root", "dir2");
  CHECK(generate_calls == 1);
  CHECK(created_body.find("\"id\":\"id2\"") != std::string::npos);
}

TEST_CASE("A replayed delete that finds nothing succeeded",
          "[unit][drive][client]") {
  int n = 0;
  Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
    if (++n == 1) return DriveError(502, "badGateway");
    return DriveError(404, "notFound");
  });
  CHECK(rig.client->Delete("f1").ok());
  // Without a replay, 404 is an error.
  Rig plain([](const HttpRequest&) -> Result<HttpResponse> {
    return DriveError(404, "notFound");
  });
  CHECK(plain.client->Delete("f1").code() == StatusCode::kNotFound);
}

TEST_CASE("ListAll follows tokens through short and empty pages",
          "[unit][drive][client]") {
  Rig rig([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("pageToken=p2") != std::string::npos)
      return Answer(200, R"({"files":[],"nextPageToken":"p3"})");
    if (r.url.find("pageToken=p3") != std::string::npos)
      return Answer(
          200,
          R"({"files":[{"id":"c","name":"c","mimeType":"x/y","size":"1"}]})");
    return Answer(
        200,
        R"({"files":[{"id":"a","name":"a","mimeType":"x/y","size":"1"},{"id":"b","name":"b","mimeType":"x/y","size":"1"}],"nextPageToken":"p2"})");
  });
  ListQuery q;
  q.q = "'root' in parents and trashed = false";
  auto all = rig.client->ListAll(q);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[2].id == "c");
  CHECK(rig.transport.count() == 3);
  auto first = rig.transport.requests()[0].url;
  CHECK(first.find("pageSize=1000") != std::string::npos);
  CHECK(first.find("supportsAllDrives=true") != std::string::npos);
  CHECK(first.find("nextPageToken") != std::string::npos);  // in fields
}

// A files.list answer: files named `ids`, then `token` unless empty.
HttpResponse ListAnswer(const std::vector<std::string>& ids,
                        const std::string& token) {
  std::string body = R"({"files":[)";
  for (size_t i = 0; i < ids.size(); ++i) {
    body += (i ? "," : "") + std::string(R"({"id":")") + ids[i] +
            R"(","name":")" + ids[i] + R"(","mimeType":"x/y","size":"1"})";
  }
  body += "]";
  if (!token.empty()) body += R"(,"nextPageToken":")" + token + "\"";
  return Answer(200, body + "}");
}

bool HasToken(const HttpRequest& r, const std::string& token) {
  const std::string param = "pageToken=" + token;
  size_t at = r.url.find(param);
  if (at == std::string::npos) return false;
  size_t end = at + param.size();
  return end == r.url.size() || r.url[end] == '&';
}

struct Seen {
  std::vector<std::string> ids;
  std::vector<bool> from_start;
};

DriveClient::ListSink Collect(Seen* seen) {
  return [seen](std::vector<DriveFile> files, bool from_start) {
    seen->from_start.push_back(from_start);
    for (const auto& f : files) seen->ids.push_back(f.id);
    return Status::Ok();
  };
}

TEST_CASE("ListEach requests the next page while the sink works on this one",
          "[unit][drive][client]") {
  std::promise<void> second_requested;
  Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (HasToken(r, "p2")) {
      second_requested.set_value();
      return ListAnswer({"c"}, "");
    }
    return ListAnswer({"a", "b"}, "p2");
  });
  auto second = second_requested.get_future();
  Seen seen;
  bool overlapped = false;
  Status s = rig.client->ListEach(
      ListQuery{"q", 1000, "", ""},
      [&](std::vector<DriveFile> files, bool from_start) {
        // While page 1 is in the sink, page 2 is already on its way. (The
        // bound only keeps a broken client from hanging the test.)
        if (from_start)
          overlapped = second.wait_for(std::chrono::seconds(30)) ==
                       std::future_status::ready;
        return Collect(&seen)(std::move(files), from_start);
      });
  REQUIRE(s.ok());
  CHECK(overlapped);
  CHECK(seen.ids == std::vector<std::string>{"a", "b", "c"});
  CHECK(seen.from_start == std::vector<bool>{true, false});
  CHECK(rig.transport.count() == 2);
}

TEST_CASE("ListEach trusts the decoded token over the early peek",
          "[unit][drive][client]") {
  // Duplicate keys: the raw scan sees the first token, the decoder keeps
  // the last. The early request is wasted, never used.
  Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (HasToken(r, "bogus")) return ListAnswer({"wrong"}, "");
    if (HasToken(r, "p2")) return ListAnswer({"c"}, "");
    return Answer(200, R"({"nextPageToken":"bogus","files":[{"id":"a",)"
                       R"("name":"a","mimeType":"x/y","size":"1"}],)"
                       R"("nextPageToken":"p2"})");
  });
  Seen seen;
  REQUIRE(
      rig.client->ListEach(ListQuery{"q", 1000, "", ""}, Collect(&seen)).ok());
  CHECK(seen.ids == std::vector<std::string>{"a", "c"});
  CHECK(rig.transport.count() == 3);
}

TEST_CASE("ListEach ends with the sink's error", "[unit][drive][client]") {
  Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (HasToken(r, "p2")) return ListAnswer({"c"}, "p3");
    return ListAnswer({"a"}, "p2");
  });
  int calls = 0;
  Status s = rig.client->ListEach(ListQuery{"q", 1000, "", ""},
                                  [&](std::vector<DriveFile>, bool) {
                                    ++calls;
                                    return Status(StatusCode::kIo, "disk full");
                                  });
  CHECK(s.code() == StatusCode::kIo);
  CHECK(calls == 1);
  CHECK(rig.transport.count() <= 2);  // page 1 and at most the early page 2
}

TEST_CASE("ListEach starts over once when a page token is rejected",
          "[unit][drive][client]") {
  int rejected = 0;
  Rig rig([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (HasToken(r, "old")) {
      ++rejected;
      return DriveError(400, "invalid");
    }
    if (HasToken(r, "new")) return ListAnswer({"c"}, "");
    return ListAnswer({"a"}, rejected == 0 ? "old" : "new");
  });
  Seen seen;
  REQUIRE(
      rig.client->ListEach(ListQuery{"q", 1000, "", ""}, Collect(&seen)).ok());
  CHECK(seen.from_start == std::vector<bool>{true, true, false});
  CHECK(seen.ids == std::vector<std::string>{"a", "a", "c"});
  // ListAll keeps only the second pass.
  rejected = 0;
  auto all = rig.client->ListAll(ListQuery{"q", 1000, "", ""});
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
}

TEST_CASE("Exports arrive whole or not at all, and are bounded",
          "[unit][drive][client]") {
  int n = 0;
  Rig rig([&](const HttpRequest&) -> Result<HttpResponse> {
    // The first answer breaks after 3 bytes; the retry is complete.
    if (++n == 1)
      return Answer(200, "hello world", {{"x-fake-cut-after", "3"}});
    return Answer(200, "hello world");
  });
  StringSink sink;
  auto got = rig.client->Export("doc", "text/plain", sink);
  REQUIRE(got.ok());
  CHECK(sink.data == "hello world");  // not "helhello world"
  CHECK(rig.transport.requests()[0].url.find("mimeType=text%2Fplain") !=
        std::string::npos);

  Rig huge([](const HttpRequest&) -> Result<HttpResponse> {
    return Answer(200, std::string(65 << 20, 'x'));
  });
  StringSink none;
  auto big = huge.client->Export("doc", "text/plain", none);
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().code() == StatusCode::kNotSupported);
  CHECK(none.data.empty());
}

TEST_CASE("Option validation", "[unit][drive][client]") {
  DriveClientOptions o;
  CHECK(ValidateOptions(o).ok());
  o.chunk_size = 1000000;
  CHECK(ValidateOptions(o).code() == StatusCode::kInvalidArgument);
  o.chunk_size = 256 * 1024;
  o.multipart_threshold = int64_t{65} << 20;
  CHECK(ValidateOptions(o).code() == StatusCode::kInvalidArgument);
  o.multipart_threshold = 5 << 20;
  o.endpoints.api_root = "http://drive.example.com";
  CHECK(ValidateOptions(o).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gdmount::drive
