#include "util/url.h"

#include <catch2/catch.hpp>
#include <string>

namespace gdmount::util {
namespace {

TEST_CASE("PercentEncode keeps only RFC 3986 unreserved characters", "[unit]") {
  CHECK(PercentEncode("") == "");
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("a b") == "a%20b");
  CHECK(PercentEncode("4/0AbC") == "4%2F0AbC");
  CHECK(PercentEncode("a+b=c&d?e#f%") == "a%2Bb%3Dc%26d%3Fe%23f%25");
  CHECK(PercentEncode("http://127.0.0.1:8080/") ==
        "http%3A%2F%2F127.0.0.1%3A8080%2F");
  CHECK(PercentEncode(std::string("\x00\xff", 2)) == "%00%FF");
  CHECK(PercentEncode("\xc3\xa9") == "%C3%A9");  // UTF-8 bytes, upper hex
}

TEST_CASE("PercentDecode handles escapes, case and '+'", "[unit]") {
  CHECK(*PercentDecode("4%2F0AbC", false) == "4/0AbC");
  CHECK(*PercentDecode("4%2f0AbC", false) == "4/0AbC");  // lower-case hex
  CHECK(*PercentDecode("a+b", false) == "a+b");
  CHECK(*PercentDecode("a+b", true) == "a b");
  CHECK(*PercentDecode("a%2Bb", true) == "a+b");
  CHECK(*PercentDecode("%00", false) == std::string("\0", 1));
  CHECK(*PercentDecode("", true) == "");
  CHECK(*PercentDecode("%C3%A9", true) == "\xc3\xa9");
}

TEST_CASE("PercentDecode rejects malformed escapes", "[unit]") {
  for (const char* bad : {"%", "%2", "abc%", "%G0", "%0G", "a%zzb", "%%"}) {
    INFO(bad);
    CHECK(PercentDecode(bad, true).status().code() ==
          StatusCode::kInvalidArgument);
  }
}

TEST_CASE("PercentEncode and PercentDecode round-trip every byte", "[unit]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  Result<std::string> back = PercentDecode(PercentEncode(all), true);
  REQUIRE(back.ok());
  CHECK(*back == all);
}

TEST_CASE("EncodeQuery keeps order and encodes names and values", "[unit]") {
  CHECK(EncodeQuery({}) == "");
  CHECK(EncodeQuery({{"a", "1"}}) == "a=1");
  CHECK(EncodeQuery({{"b", "x y"}, {"a", ""}, {"c&d", "e=f"}}) ==
        "b=x%20y&a=&c%26d=e%3Df");
}

TEST_CASE("ParseQuery decodes pairs", "[unit]") {
  Result<std::map<std::string, std::string>> q =
      ParseQuery("state=s1&code=4%2F0abc&scope=a+b&flag&empty=&x=1=2");
  REQUIRE(q.ok());
  CHECK(q->at("state") == "s1");
  CHECK(q->at("code") == "4/0abc");
  CHECK(q->at("scope") == "a b");
  CHECK(q->at("flag").empty());
  CHECK(q->at("empty").empty());
  CHECK(q->at("x") == "1=2");
  CHECK(q->size() == 6);
}

TEST_CASE("ParseQuery: first value wins, empty items are skipped", "[unit]") {
  Result<std::map<std::string, std::string>> q = ParseQuery("a=1&&a=2&b=3&");
  REQUIRE(q.ok());
  CHECK(q->at("a") == "1");
  CHECK(q->at("b") == "3");
  CHECK(q->size() == 2);
  REQUIRE(ParseQuery("").ok());
  CHECK(ParseQuery("")->empty());
}

TEST_CASE("ParseQuery rejects malformed escapes", "[unit]") {
  CHECK(ParseQuery("a=%zz").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseQuery("%4=1").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("EncodeQuery output parses back", "[unit]") {
  std::vector<std::pair<std::string, std::string>> in = {
      {"redirect_uri", "http://127.0.0.1:1234/"},
      {"scope", "https://www.googleapis.com/auth/drive openid"},
      {"weird +&=%", "\x01\x7f"}};
  Result<std::map<std::string, std::string>> q = ParseQuery(EncodeQuery(in));
  REQUIRE(q.ok());
  for (const auto& [k, v] : in) CHECK(q->at(k) == v);
}

TEST_CASE("SplitUrl splits a full URL", "[unit]") {
  Result<UrlParts> u =
      SplitUrl("HTTPS://user:pw@WWW.Example.COM:8443/a/b?c=d&e#frag");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->host == "www.example.com");
  CHECK(u->port == 8443);
  CHECK(u->path == "/a/b");
  CHECK(u->query == "c=d&e");
  CHECK(u->fragment == "frag");
}

TEST_CASE("SplitUrl handles IPv6 literals", "[unit]") {
  Result<UrlParts> u = SplitUrl("http://[::1]:8080/x?y#z");
  REQUIRE(u.ok());
  CHECK(u->scheme == "http");
  CHECK(u->host == "::1");
  CHECK(u->port == 8080);
  CHECK(u->path == "/x");
  CHECK(u->query == "y");
  CHECK(u->fragment == "z");

  Result<UrlParts> bare = SplitUrl("http://[FE80::1]");
  REQUIRE(bare.ok());
  CHECK(bare->host == "fe80::1");
  CHECK(bare->port == 0);
  CHECK(bare->path == "/");
}

TEST_CASE("SplitUrl defaults: no port, no path, query without path", "[unit]") {
  Result<UrlParts> u = SplitUrl("http://127.0.0.1");
  REQUIRE(u.ok());
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 0);
  CHECK(u->path == "/");
  CHECK(u->query.empty());
  CHECK(u->fragment.empty());

  Result<UrlParts> q = SplitUrl("http://localhost:5?code=a/b");
  REQUIRE(q.ok());
  CHECK(q->host == "localhost");
  CHECK(q->port == 5);
  CHECK(q->path == "/");
  CHECK(q->query == "code=a/b");

  Result<UrlParts> f = SplitUrl("http://h#a?b");  // '?' inside the fragment
  REQUIRE(f.ok());
  CHECK(f->query.empty());
  CHECK(f->fragment == "a?b");
}

TEST_CASE("SplitUrl rejects bad ports", "[unit]") {
  for (const char* bad :
       {"http://h:0/", "http://h:65536/", "http://h:-1/", "http://h:80a/",
        "http://h:/", "http://h:99999999999/", "http://[::1]:x/",
        "http://h: 80/"}) {
    INFO(bad);
    CHECK(SplitUrl(bad).status().code() == StatusCode::kInvalidArgument);
  }
  Result<UrlParts> max = SplitUrl("http://h:65535/");
  REQUIRE(max.ok());
  CHECK(max->port == 65535);
  Result<UrlParts> one = SplitUrl("http://h:1");
  REQUIRE(one.ok());
  CHECK(one->port == 1);
}

TEST_CASE("SplitUrl rejects URLs without scheme or host", "[unit]") {
  for (const char* bad :
       {"", "127.0.0.1:8080/x", "//host/x", "://host", "1http://h/",
        "http:///path", "http://", "http://user@/x", "http://[::1/x",
        "http://[::1]junk/", "http://a b/", "ht tp://h/"}) {
    INFO(bad);
    CHECK(SplitUrl(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace gdmount::util
