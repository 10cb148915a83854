// CurlTransport against the emulator: streaming bodies, error bodies,
// stall detection, URL policy.
#include "http/curl_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/emulator/seed.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/subprocess.h"
#include "util/encoding.h"

namespace gdmount::http {
namespace {

using testing::EmulatorFixture;

// Hashes what it receives; keeps nothing.
class Md5Sink : public BodySink {
 public:
  Status Begin(int status, const HttpHeaders&) override {
    begun_status = status;
    return Status::Ok();
  }
  Status Write(const char* d, size_t n) override {
    md5.Update(d, n);
    bytes += n;
    ++writes;
    return Status::Ok();
  }
  util::Md5Hasher md5;
  uint64_t bytes = 0;
  int writes = 0;
  int begun_status = 0;
};

HttpRequest Get(const EmulatorFixture& fx, const std::string& path) {
  HttpRequest r;
  r.url = fx.url() + path;
  r.headers = {
      {"Authorization", std::string("Bearer ") + EmulatorFixture::kToken}};
  return r;
}

TEST_CASE("A large body streams into the sink, never into memory",
          "[integration][http]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("big.bin=64M", &emu.store()).ok());
  });
  auto list = fx.Call(
      "GET", "/drive/v3/files?q=name%3D'big.bin'&fields=files(id,md5Checksum)");
  nlohmann::json files = list.json()["files"];
  REQUIRE(files.size() == 1);
  std::string id = files[0]["id"];
  auto transport = CurlTransport::Create({}).value();
  Md5Sink sink;
  HttpRequest r = Get(fx, "/drive/v3/files/" + id + "?alt=media");
  r.sink = &sink;
  auto resp = transport->Send(r);
  REQUIRE(resp.ok());
  CHECK(resp->status == 200);
  CHECK(resp->body.empty());
  CHECK(resp->body_bytes == 64u << 20);
  CHECK(sink.bytes == 64u << 20);
  CHECK(sink.writes > 100);  // arrived in pieces, as it streamed
  CHECK(sink.begun_status == 200);
  CHECK(sink.md5.FinishHex() == files[0]["md5Checksum"].get<std::string>());
}

TEST_CASE("Error bodies go to the response, not the sink",
          "[integration][http]") {
  EmulatorFixture fx;
  auto transport = CurlTransport::Create({}).value();
  Md5Sink sink;
  HttpRequest r = Get(fx, "/drive/v3/files/nope?alt=media");
  r.sink = &sink;
  auto resp = transport->Send(r);
  REQUIRE(resp.ok());
  CHECK(resp->status == 404);
  CHECK(resp->body.find("notFound") != std::string::npos);
  CHECK(sink.bytes == 0);
  CHECK(resp->Header("content-type").find("application/json") == 0);
}

TEST_CASE("A stalled transfer is cut, the caller learns why",
          "[integration][http]") {
  emulator::EmulatorOptions opts;
  opts.shaping.bandwidth_bytes_per_s = 256;  // far below the limit below
  EmulatorFixture fx(opts, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("slow.bin=1M", &emu.store()).ok());
  });
  auto list =
      fx.Call("GET", "/drive/v3/files?q=name%3D'slow.bin'&fields=files(id)");
  std::string id = list.json()["files"][0]["id"];
  CurlTransportOptions o;
  o.low_speed_limit_bytes = 64 * 1024;
  o.low_speed_time = std::chrono::seconds(1);
  auto transport = CurlTransport::Create(o).value();
  Md5Sink sink;
  HttpRequest r = Get(fx, "/drive/v3/files/" + id + "?alt=media");
  r.sink = &sink;
  auto resp = transport->Send(r);
  REQUIRE_FALSE(resp.ok());
  CHECK(resp.status().code() == StatusCode::kUnavailable);
  CHECK(resp.status().message().find("stalled") != std::string::npos);
  CHECK(sink.bytes < (1u << 20));
}

TEST_CASE("Refused URLs never reach the network", "[integration][http]") {
  auto transport = CurlTransport::Create({}).value();
  HttpRequest r;
  r.url = "http://drive.example.com/drive/v3/files";
  auto resp = transport->Send(r);
  REQUIRE_FALSE(resp.ok());
  CHECK(resp.status().code() == StatusCode::kInvalidArgument);
  CHECK(transport->stats().requests == 0);
}

TEST_CASE("A connection refused is Unavailable", "[integration][http]") {
  auto transport = CurlTransport::Create({}).value();
  HttpRequest r;
  r.url = "http://127.0.0.1:1/";  // nothing listens on port 1
  auto resp = transport->Send(r);
  REQUIRE_FALSE(resp.ok());
  CHECK(resp.status().code() == StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gdmount::http

namespace gdmount::http {
namespace {

// A free TCP port on 127.0.0.1 (bound and released; the small race with
// other processes is acceptable in a test).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST_CASE(
    "TLS is verified: an unknown CA is refused, a configured bundle "
    "is trusted",
    "[integration][http][tls]") {
  char tmpl[] = "/tmp/gdmount-tls-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = tmpl;
  testing::Subprocess gen({"openssl", "req", "-x509", "-newkey", "rsa:2048",
                           "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                           dir + "/key.pem", "-out", dir + "/cert.pem"});
  REQUIRE(gen.Wait(std::chrono::seconds(60)) == 0);
  int port = FreePort();
  testing::Subprocess server(
      {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
       "-cert", dir + "/cert.pem", "-key", dir + "/key.pem", "-www"});
  REQUIRE(server.ReadUntil("ACCEPT", std::chrono::seconds(30)));
  std::string url = "https://127.0.0.1:" + std::to_string(port) + "/";

  auto strict = CurlTransport::Create({}).value();
  HttpRequest r;
  r.url = url;
  auto refused = strict->Send(r);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kPermissionDenied);
  CHECK(refused.status().message().find("TLS verification failed") !=
        std::string::npos);

  CurlTransportOptions o;
  o.ca_bundle = dir + "/cert.pem";
  auto trusting = CurlTransport::Create(o).value();
  auto ok = trusting->Send(r);
  INFO(ok.status().ToString());
  REQUIRE(ok.ok());
  CHECK(ok->status == 200);
  server.Kill(SIGTERM);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gdmount::http

namespace gdmount::http {
namespace {

// A one-route HTTP server (python3) answering every GET with a 302 to
// `location`; prints its port first.
std::unique_ptr<testing::Subprocess> Redirector(const std::string& location) {
  static const char* kScript = R"PY(
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", sys.argv[1])
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
)PY";
  return std::make_unique<testing::Subprocess>(
      std::vector<std::string>{"python3", "-c", kScript, location});
}

TEST_CASE("Media redirects are followed, never to plain http elsewhere",
          "[integration][http]") {
  EmulatorFixture fx;
  auto up = fx.Upload("r.bin", "redirected bytes");
  std::string id = up["id"];
  auto transport = CurlTransport::Create({}).value();

  // To another host (localhost, not 127.0.0.1): the bearer token is not
  // forwarded, so the target must carry its own credential, as Google's
  // signed download URLs do.
  std::string target =
      "http://localhost:" + fx.url().substr(fx.url().rfind(':') + 1) +
      "/drive/v3/files/" + id + "?alt=media";
  auto signed_hop =
      Redirector(target + "&access_token=" + EmulatorFixture::kToken);
  auto port = signed_hop->ReadLine(std::chrono::seconds(20));
  REQUIRE(port);
  HttpRequest r;
  r.url = "http://127.0.0.1:" + *port + "/download";
  r.headers = {
      {"Authorization", std::string("Bearer ") + EmulatorFixture::kToken}};
  r.follow_redirects = true;
  auto got = transport->Send(r);
  REQUIRE(got.ok());
  CHECK(got->status == 200);
  CHECK(got->body == "redirected bytes");

  auto bare_hop = Redirector(target);
  port = bare_hop->ReadLine(std::chrono::seconds(20));
  REQUIRE(port);
  r.url = "http://127.0.0.1:" + *port + "/download";
  auto dropped = transport->Send(r);
  REQUIRE(dropped.ok());
  CHECK(dropped->status == 401);  // Authorization did not follow the hop

  r.follow_redirects = false;
  auto not_followed = transport->Send(r);
  REQUIRE(not_followed.ok());
  CHECK(not_followed->status == 302);

  auto evil_hop = Redirector("http://drive.example.com/steal");
  port = evil_hop->ReadLine(std::chrono::seconds(20));
  REQUIRE(port);
  r.url = "http://127.0.0.1:" + *port + "/download";
  r.follow_redirects = true;
  auto refused = transport->Send(r);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gdmount::http

namespace gdmount::http {
namespace {

TEST_CASE("JSON arrives gzip-encoded and is decoded, media is never encoded",
          "[integration][http]") {
  EmulatorFixture fx;
  auto dir = fx.Mkdir("gz");
  for (int i = 0; i < 20; ++i)
    fx.Upload("f" + std::to_string(i), "x", dir["id"]);
  const std::string body(300000, 'z');  // compresses very well
  auto file = fx.Upload("big.bin", body, "root");
  auto t = CurlTransport::Create({}).value();
  auto list = t->Send(
      Get(fx, "/drive/v3/files?pageSize=1000&q=" +
                  testing::Q("'" + std::string(dir["id"]) + "' in parents")));
  REQUIRE(list.ok());
  REQUIRE(list->status == 200);
  CHECK(list->Header("content-encoding") == "gzip");
  auto parsed = nlohmann::json::parse(list->body, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  CHECK(parsed["files"].size() == 20);

  Md5Sink sink;
  HttpRequest media =
      Get(fx, "/drive/v3/files/" + std::string(file["id"]) + "?alt=media");
  media.sink = &sink;
  auto got = t->Send(media);
  REQUIRE(got.ok());
  CHECK(got->status == 200);
  CHECK(got->Header("content-encoding").empty());
  CHECK(sink.bytes == body.size());
  CHECK(sink.md5.FinishHex() == util::HexEncode(util::Md5(body)));
}

TEST_CASE("Concurrent requests reuse their connections",
          "[integration][http]") {
  EmulatorFixture fx;
  auto t = CurlTransport::Create({}).value();
  constexpr int kThreads = 12, kRounds = 6;
  std::atomic<int> ok{0};
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&] {
        auto r = t->Send(Get(fx, "/drive/v3/about?fields=user"));
        if (r.ok() && r->status == 200) ++ok;
      });
    for (auto& th : threads) th.join();
  }
  CHECK(ok.load() == kThreads * kRounds);
  // Above libcurl's default cache of 5 idle connections, each round used
  // to close and reopen most of them.
  CHECK(t->stats().new_connections <= kThreads);
}

}  // namespace
}  // namespace gdmount::http
