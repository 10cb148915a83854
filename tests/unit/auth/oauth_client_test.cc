#include "auth/oauth_client.h"

#include <catch2/catch.hpp>
#include <string>

namespace gdmount::auth {
namespace {

constexpr const char* kState = "st4te-XYZ_0123456789abcdefghijkl";
constexpr const char* kCode = "4/0AbCdEf_gh-ijklmnop";

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string Extracted(const std::string& pasted) {
  Result<std::string> r = ExtractAuthorizationCode(pasted, kState);
  INFO(pasted << " -> " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("ExtractAuthorizationCode accepts a bare code", "[unit]") {
  CHECK(Extracted(kCode) == kCode);
  CHECK(Extracted("  4/0AbCdEf_gh-ijklmnop\r\n") == kCode);
  CHECK(Extracted("\"4/0AbCdEf_gh-ijklmnop\"") == kCode);
  CHECK(Extracted("'4/0AbCdEf_gh-ijklmnop'\n") == kCode);
  // Copied out of the address bar, still percent-encoded.
  CHECK(Extracted("4%2F0AbCdEf_gh-ijklmnop") == kCode);
}

TEST_CASE("ExtractAuthorizationCode accepts the redirected URL", "[unit]") {
  const std::string query =
      std::string("state=") + kState +
      "&code=4%2F0AbCdEf_gh-ijklmnop"
      "&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive";
  CHECK(Extracted("http://127.0.0.1:43123/?" + query) == kCode);
  CHECK(Extracted("http://localhost:43123/?" + query + "\n") == kCode);
  CHECK(Extracted("  http://127.0.0.1:43123/?" + query + "#") == kCode);
  CHECK(Extracted("http://[::1]:43123/cb?" + query) == kCode);
  // Without scheme, as some browsers show it.
  CHECK(Extracted("127.0.0.1:43123/?" + query) == kCode);
  // Just the query, with or without '?'.
  CHECK(Extracted("?" + query) == kCode);
  CHECK(Extracted(query) == kCode);
  CHECK(Extracted(std::string("code=4%2F0AbCdEf_gh-ijklmnop&state=") +
                  kState) == kCode);
  // An unencoded '/' in the code is fine too.
  CHECK(Extracted(std::string("http://127.0.0.1:1/?code=4/0AbCdEf_gh-ijklmnop"
                              "&state=") +
                  kState) == kCode);
}

TEST_CASE("ExtractAuthorizationCode rejects another attempt's state",
          "[unit]") {
  Result<std::string> r = ExtractAuthorizationCode(
      "http://127.0.0.1:1/?state=other&code=4%2F0AbCdEf_gh-ijklmnop", kState);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message() ==
        "state mismatch: this URL belongs to another sign-in attempt; start "
        "again");
  // A URL with no state at all is not accepted either.
  Result<std::string> none = ExtractAuthorizationCode(
      "http://127.0.0.1:1/?code=4%2F0AbCdEf_gh-ijklmnop", kState);
  CHECK(none.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(none.status().message(), "state"));
}

TEST_CASE("ExtractAuthorizationCode reports access_denied", "[unit]") {
  Result<std::string> r = ExtractAuthorizationCode(
      std::string("http://127.0.0.1:1/?error=access_denied&state=") + kState,
      kState);
  CHECK(r.status().code() == StatusCode::kPermissionDenied);
  CHECK(Contains(r.status().message(), "access was denied in the browser"));

  Result<std::string> other = ExtractAuthorizationCode(
      std::string("?error=server_error&state=") + kState, kState);
  CHECK(other.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(other.status().message(), "server_error"));
}

TEST_CASE("ExtractAuthorizationCode: URL without a code", "[unit]") {
  for (const std::string& pasted :
       {std::string("http://127.0.0.1:43123/?state=") + kState,
        std::string("http://127.0.0.1:43123/"), std::string("localhost:8080"),
        std::string("http://127.0.0.1:1/?state=") + kState + "&code="}) {
    INFO(pasted);
    Result<std::string> r = ExtractAuthorizationCode(pasted, kState);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(Contains(r.status().message(), "no code"));
  }
}

TEST_CASE("ExtractAuthorizationCode rejects garbage and empty input",
          "[unit]") {
  for (const std::string& pasted :
       {std::string("hello world, this is not a code"), std::string("abc"),
        std::string("4/0Ab\x01xyzxyz"), std::string(3000, 'a'),
        std::string("<html><body>")}) {
    INFO(pasted);
    Result<std::string> r = ExtractAuthorizationCode(pasted, kState);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(Contains(r.status().message(),
                   "does not look like an authorization code or the "
                   "redirected URL"));
  }
  for (const char* empty : {"", "   ", "\n", "\r\n", "\"\""}) {
    Result<std::string> r = ExtractAuthorizationCode(empty, kState);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(Contains(r.status().message(), "nothing was pasted"));
  }
  Result<std::string> bad_escape =
      ExtractAuthorizationCode("?code=4%2&state=x", kState);
  CHECK(bad_escape.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ExtractAuthorizationCode never echoes the pasted code", "[unit]") {
  Result<std::string> r = ExtractAuthorizationCode(
      "http://127.0.0.1:1/?state=other&code=4%2F0SecretCodeValue", kState);
  REQUIRE(!r.ok());
  CHECK(!Contains(r.status().message(), "SecretCodeValue"));
}

TEST_CASE("CodeFromRedirectQuery checks state, error and code", "[unit]") {
  // An error redirect from another attempt is that attempt's business.
  CHECK(CodeFromRedirectQuery({{"state", "x"}, {"error", "access_denied"}},
                              kState)
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(*CodeFromRedirectQuery({{"state", kState}, {"code", kCode}}, kState) ==
        kCode);
  CHECK(CodeFromRedirectQuery({{"state", "x"}, {"code", kCode}}, kState)
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(CodeFromRedirectQuery({{"state", kState}, {"error", "access_denied"}},
                              kState)
            .status()
            .code() == StatusCode::kPermissionDenied);
  CHECK(CodeFromRedirectQuery({{"state", kState}}, kState).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gdmount::auth
