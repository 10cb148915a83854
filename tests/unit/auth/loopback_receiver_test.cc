#include "auth/loopback_receiver.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "tests/unit/auth/raw_http_client.h"

namespace gdmount::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Get;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::unique_ptr<LoopbackReceiver> StartReceiver() {
  Result<std::unique_ptr<LoopbackReceiver>> r = LoopbackReceiver::Start();
  REQUIRE(r.ok());
  return std::move(*r);
}

TEST_CASE("LoopbackReceiver binds an ephemeral loopback port", "[unit]") {
  std::unique_ptr<LoopbackReceiver> r = StartReceiver();
  CHECK(r->port() > 0);
  CHECK(r->port() <= 65535);
  CHECK(r->redirect_uri() ==
        "http://127.0.0.1:" + std::to_string(r->port()) + "/");
}

TEST_CASE("LoopbackReceiver ignores favicon and returns the redirect",
          "[unit]") {
  std::unique_ptr<LoopbackReceiver> r = StartReceiver();
  std::string favicon, page;
  std::thread browser([&] {
    favicon = Get(r->port(), "/favicon.ico");
    page = Get(r->port(), "/?code=4%2F0abc&state=s&scope=a+b");
  });
  Result<std::map<std::string, std::string>> q =
      r->WaitForRedirect(seconds(20));
  browser.join();
  REQUIRE(q.ok());
  CHECK(q->at("code") == "4/0abc");
  CHECK(q->at("state") == "s");
  CHECK(q->at("scope") == "a b");
  CHECK(favicon.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(page.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Contains(page, "Content-Type: text/html"));
  CHECK(Contains(page, "Signed in to gdmount. You can close this tab."));
}

TEST_CASE("LoopbackReceiver shows an error page for error=...", "[unit]") {
  std::unique_ptr<LoopbackReceiver> r = StartReceiver();
  std::string page;
  std::thread browser(
      [&] { page = Get(r->port(), "/?error=access_denied&state=s"); });
  Result<std::map<std::string, std::string>> q =
      r->WaitForRedirect(seconds(20));
  browser.join();
  REQUIRE(q.ok());
  CHECK(q->at("error") == "access_denied");
  CHECK(Contains(page, "Sign-in failed: access_denied"));
  CHECK(!Contains(page, "Signed in to gdmount"));
}

TEST_CASE("LoopbackReceiver times out with Cancelled", "[unit]") {
  std::unique_ptr<LoopbackReceiver> r = StartReceiver();
  auto start = std::chrono::steady_clock::now();
  Result<std::map<std::string, std::string>> q =
      r->WaitForRedirect(milliseconds(50));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(q.status().code() == StatusCode::kCancelled);
  CHECK(Contains(q.status().message(), "gdmount auth"));
  CHECK(elapsed >= milliseconds(50));
  CHECK(elapsed < seconds(3));
}

TEST_CASE("LoopbackReceiver survives idle, garbage and oversized clients",
          "[unit]") {
  std::unique_ptr<LoopbackReceiver> r = StartReceiver();
  const int port = r->port();
  // A speculative connection that never sends anything stays open during
  // the whole exchange; it must not block the real redirect.
  int idle = testing::ConnectLoopback(port);
  REQUIRE(idle >= 0);
  std::string garbage, huge, post, no_query, bad_escape, page;
  std::thread browser([&] {
    garbage = testing::RawRequest(port, std::string("\x16\x03\x01\x00garbage"
                                                    "\r\n\r\n",
                                                    15));
    huge = testing::RawRequest(port, "GET /?" + std::string(20000, 'a'));
    post = testing::RawRequest(port, "POST /?code=x&state=s HTTP/1.1\r\n\r\n");
    no_query = Get(port, "/");
    bad_escape = Get(port, "/?code=%zz&state=s");
    page = Get(port, "/?state=s&code=4%2F0real");
  });
  Result<std::map<std::string, std::string>> q =
      r->WaitForRedirect(seconds(20));
  browser.join();
  close(idle);
  REQUIRE(q.ok());
  CHECK(q->at("code") == "4/0real");
  CHECK(garbage.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(huge.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(post.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(no_query.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(bad_escape.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(Contains(page, "Signed in to gdmount"));
}

TEST_CASE("LoopbackReceiver handles a request split across packets", "[unit]") {
  std::unique_ptr<LoopbackReceiver> r = StartReceiver();
  std::string page;
  std::thread browser([&] {
    int fd = testing::ConnectLoopback(r->port());
    if (fd < 0) return;  // the CHECK below reports it
    testing::SendString(fd, "GET /?code=4%2F0sp");
    testing::SendString(fd, "lit&state=s HTTP/1.1\r\nHost: x\r\n");
    testing::SendString(fd, "\r\n");
    page = testing::ReadAll(fd);
    close(fd);
  });
  Result<std::map<std::string, std::string>> q =
      r->WaitForRedirect(seconds(20));
  browser.join();
  REQUIRE(q.ok());
  CHECK(q->at("code") == "4/0split");
  CHECK(Contains(page, "Signed in to gdmount"));
}

}  // namespace
}  // namespace gdmount::auth
