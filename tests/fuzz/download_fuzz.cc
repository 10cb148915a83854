// Fuzz target: ranged downloads (drive/download.cc) against a server that
// answers each request as the input says: the right range, the whole file
// (Range ignored), a range starting elsewhere (with a truthful
// Content-Range), a garbled Content-Range, an error status, or the right
// range cut mid-body. The file's byte at position i is Pattern(i), so any
// byte the client delivers can be checked: an accepted download delivers
// exactly the bytes asked for, in order, never a wrong one.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "drive/drive_client_impl.h"
#include "gdmount/random.h"
#include "gdmount/token_source.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"
#include "tests/support/string_sink.h"

namespace gdmount::fuzz {
namespace {

char Pattern(int64_t i) { return static_cast<char>((i * 131 + 7) & 0xff); }

std::string Bytes(int64_t from, int64_t to_excl) {
  std::string s;
  for (int64_t i = from; i < to_excl; ++i) s.push_back(Pattern(i));
  return s;
}

}  // namespace
}  // namespace gdmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gdmount;
  using namespace gdmount::fuzz;
  QuietLogs();
  FuzzInput in(data, size);
  const int64_t file_size = in.Below(70000);
  const int64_t offset = in.Below(80000);
  const bool bounded = in.Byte() & 1;
  const std::optional<int64_t> length =
      bounded ? std::optional<int64_t>(in.Below(80000)) : std::nullopt;
  int requests = 0;

  testing::FakeTransport http(
      [&](const HttpRequest& req) -> Result<HttpResponse> {
        int64_t start = 0, end = file_size - 1;
        for (const auto& [k, v] : req.headers) {
          if (k != "Range") continue;
          int64_t s = 0, e = -1;
          int n = std::sscanf(v.c_str(), "bytes=%" SCNd64 "-%" SCNd64, &s, &e);
          if (n >= 1) start = s;
          if (n == 2) end = std::min(e, file_size - 1);
        }
        // After 16 answers the server behaves, so every run ends.
        const uint8_t mode = ++requests > 16 ? 0 : in.Byte() % 7;
        if (start >= file_size && mode != 4)
          return testing::Answer(416,
                                 R"({"error":{"code":416,"message":"range"}})");
        auto ranged = [&](int64_t from, const std::string& header) {
          return testing::Answer(206, Bytes(from, end + 1),
                                 {{"content-range", header}});
        };
        auto truthful = [&](int64_t from) {
          return "bytes " + std::to_string(from) + "-" + std::to_string(end) +
                 "/" + std::to_string(file_size);
        };
        switch (mode) {
          case 0:
            return ranged(start, truthful(start));
          case 1:
            return testing::Answer(200, Bytes(0, file_size));
          case 2: {
            int64_t from =
                std::min<int64_t>(file_size - 1, start + 1 + in.Below(4096));
            return ranged(from, truthful(from));
          }
          case 3:
            return ranged(start, in.String(40));
          case 4: {
            // Not 416: that is Drive saying the file ends before `start`, a
            // size the layer above checks against the metadata.
            static const int kStatus[] = {500, 502, 503, 429, 403,
                                          404, 400, 401, 302};
            const int status = kStatus[in.Byte() % 9];
            return testing::Answer(status, in.String(200));
          }
          case 5: {
            HttpResponse r = ranged(start, truthful(start));
            r.headers.push_back(
                {"x-fake-cut-after", std::to_string(in.Below(70000))});
            return r;
          }
          default:
            return Result<HttpResponse>(
                Status(StatusCode::kUnavailable, "connection refused (fuzz)"));
        }
      });
  testing::FakeClock clock;
  StaticTokenSource tokens("t");
  auto random = MakeSeededRandom(1);
  drive::DriveClientOptions o;
  o.endpoints.api_root = "http://127.0.0.1:1";
  o.endpoints.upload_root = "http://127.0.0.1:1";
  o.pacer.rate_per_s = 0;
  o.retry.max_attempts = 4;
  drive::DriveClientImpl client(o, &http, &tokens, &clock, random.get());

  testing::StringSink sink;
  Result<int64_t> n = client.Download("fileid", offset, length, sink);
  // Bytes are never delivered out of order or wrong, even when it failed.
  const std::string want_prefix =
      Bytes(offset, offset + static_cast<int64_t>(sink.data.size()));
  FUZZ_CHECK(sink.data == want_prefix, "wrong bytes delivered");
  if (length)
    FUZZ_CHECK(static_cast<int64_t>(sink.data.size()) <= *length,
               "past the range");
  if (n.ok()) {
    FUZZ_CHECK(*n == static_cast<int64_t>(sink.data.size()), "count");
    int64_t end = std::min(file_size, length ? offset + *length : file_size);
    int64_t expected = std::max<int64_t>(0, end - offset);
    FUZZ_CHECK(*n == expected,
               "short download reported as complete: " + std::to_string(*n) +
                   " of " + std::to_string(expected) + " bytes after " +
                   std::to_string(requests) + " answers");
  }
  return 0;
}
