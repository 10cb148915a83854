#include "drive/json_peek.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "drive/json_codec.h"

namespace gdmount::drive {
namespace {

TEST_CASE("PeekNextPageToken finds the top-level token anywhere in the object",
          "[unit][drive]") {
  CHECK(PeekNextPageToken(R"({"nextPageToken":"p2","files":[]})") == "p2");
  CHECK(PeekNextPageToken(R"({"files":[],"nextPageToken":"p2"})") == "p2");
  CHECK(PeekNextPageToken("{\n  \"kind\": \"drive#fileList\",\n"
                          "  \"nextPageToken\" : \"p-2_x\"\n}\n") == "p-2_x");
}

TEST_CASE("PeekNextPageToken says empty only when it saw the whole object",
          "[unit][drive]") {
  CHECK(PeekNextPageToken(R"({"files":[{"id":"a"}]})") == "");
  CHECK(PeekNextPageToken("{}") == "");
  CHECK(PeekNextPageToken(" { } ") == "");
  // Cut short, not an object, or not JSON: unknown.
  for (const char* bad :
       {"", "[]", "null", R"({"files":[{"id":"a"})", R"({"files":[],)",
        R"({"files")", R"({"a":"unterminated)", R"({"a" 1})",
        R"({"a":1 "b":2})"}) {
    INFO(bad);
    CHECK_FALSE(PeekNextPageToken(bad).has_value());
  }
}

TEST_CASE("PeekNextPageToken ignores nested and quoted look-alikes",
          "[unit][drive]") {
  // A file named like the key, an appProperties key, brackets and escaped
  // quotes inside strings: none of them is the page's token.
  const std::string body = R"({"files":[
      {"id":"a","name":"nextPageToken","mimeType":"x/y","size":"1",
       "appProperties":{"nextPageToken":"no1"}},
      {"id":"b","name":"a \"}]\" \\","mimeType":"x/y","size":"1"},
      {"id":"c","name":"\\\\\",\"nextPageToken\":\"no2",
       "mimeType":"x/y","size":"1"}
    ],"incompleteSearch":false,"nextPageToken":"yes"})";
  REQUIRE_FALSE(nlohmann::json::parse(body, nullptr, false).is_discarded());
  CHECK(PeekNextPageToken(body) == "yes");
  auto page = ParseFileList(body);
  REQUIRE(page.ok());
  CHECK(page->next_page_token == "yes");
  REQUIRE(page->files.size() == 3);
  CHECK(page->files[2].name == "\\\\\",\"nextPageToken\":\"no2");
  CHECK(PeekNextPageToken(R"({"files":[{"nextPageToken":"no"}]})") == "");
}

TEST_CASE(
    "PeekNextPageToken leaves tokens it cannot copy verbatim to the "
    "decoder",
    "[unit][drive]") {
  CHECK_FALSE(PeekNextPageToken(R"({"nextPageToken":"a\u0062"})").has_value());
  CHECK_FALSE(PeekNextPageToken(R"({"nextPageToken":"a\"b"})").has_value());
  CHECK_FALSE(PeekNextPageToken(R"({"nextPageToken":7})").has_value());
  CHECK_FALSE(PeekNextPageToken(R"({"nextPageToken":null})").has_value());
  // An escaped key is not compared.
  CHECK_FALSE(
      PeekNextPageToken(R"({"next\u0050ageToken":"p","x":"y")").has_value());
  CHECK(PeekNextPageToken(R"({"next\u0050ageToken":"p"})") == "");
}

}  // namespace
}  // namespace gdmount::drive
