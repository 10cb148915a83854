#include "tests/emulator/multipart.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace gdmount::emulator {
namespace {

using namespace std::string_literals;

// Node googleapis-common (8.x, as observed in protocol guide §5.2/§14.1):
// CRLF, lower-case part headers, unquoted UUID boundary, the media streamed
// and followed by "\r\n" + close delimiter with no trailing line break.
constexpr char kNodeBoundary[] = "3f0c6d52-8f7e-4c43-a1b4-6d9e0f2a7c11";

std::string NodeBody(const std::string& metadata, const std::string& mime,
                     const std::string& media) {
  const std::string b = kNodeBoundary;
  return "--" + b + "\r\ncontent-type: application/json\r\n\r\n" + metadata +
         "\r\n--" + b + "\r\ncontent-type: " + mime + "\r\n\r\n" + media +
         "\r\n--" + b + "--";
}

std::string NodeContentType() {
  return "multipart/related; boundary="s + kNodeBoundary;
}

TEST_CASE("multipart: Node googleapis-common text upload", "[unit]") {
  const std::string metadata = R"({"name":"a.txt","parents":["root"]})";
  auto parts = ParseMultipart(
      NodeContentType(), NodeBody(metadata, "text/plain", "hello world\n"));
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].headers == std::map<std::string, std::string>{
                                   {"content-type", "application/json"}});
  CHECK((*parts)[0].body == metadata);
  auto json = nlohmann::json::parse((*parts)[0].body, nullptr, false);
  REQUIRE_FALSE(json.is_discarded());
  CHECK(json["name"] == "a.txt");
  CHECK((*parts)[1].headers.at("content-type") == "text/plain");
  CHECK((*parts)[1].body == "hello world\n");
}

TEST_CASE("multipart: Node googleapis-common binary media is byte-exact",
          "[unit]") {
  // CR, LF, NUL, 0xff, "--", a line that starts with the boundary but goes
  // on, and a trailing CRLF that must survive (only the delimiter's own CRLF
  // is stripped).
  const std::string media =
      "\x00\x01\r\n--\r\n\n--"
      "\xff\xfe\r\n--"s +
      kNodeBoundary + "x\r\n--" + kNodeBoundary + "-x\r\n-- end\r\n\r\n";
  auto parts = ParseMultipart(
      NodeContentType(),
      NodeBody(R"({"name":"a.bin"})", "application/octet-stream", media));
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[1].body.size() == media.size());
  CHECK((*parts)[1].body == media);
  CHECK((*parts)[1].headers.at("content-type") == "application/octet-stream");
}

// Exact request produced by Debian 12's python3-googleapi 1.7.12 for
// files().create(body={"name": "a.bin", "parents": ["root"]},
//                media_body=MediaIoBaseUpload(<bytes below>,
//                    mimetype="application/octet-stream"))
// (captured from HttpRequest.headers / .body).
constexpr char kPythonContentType[] =
    "multipart/related; boundary=\"===============4625673895875840748==\"";
const std::string kPythonMedia =
    "\x00\x01"
    "bin\r\n--\r\n\n--\xff\xfe\r\n-- end\r"s;
const std::string kPythonBody =
    "--===============4625673895875840748==\n"
    "Content-Type: application/json\n"
    "MIME-Version: 1.0\n"
    "\n"
    "{\"name\": \"a.bin\", \"parents\": [\"root\"]}\n"
    "--===============4625673895875840748==\n"
    "Content-Type: application/octet-stream\n"
    "MIME-Version: 1.0\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "\x00\x01"
    "bin\r\n--\r\n\n--\xff\xfe\r\n-- end\r\n"
    "--===============4625673895875840748==--\n"s;

TEST_CASE("multipart: Python googleapiclient 1.7.12 (bare LF, quoted)",
          "[unit]") {
  auto parts = ParseMultipart(kPythonContentType, kPythonBody);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].headers ==
        std::map<std::string, std::string>{{"content-type", "application/json"},
                                           {"mime-version", "1.0"}});
  CHECK((*parts)[0].body == R"({"name": "a.bin", "parents": ["root"]})");
  CHECK((*parts)[1].headers == std::map<std::string, std::string>{
                                   {"content-type", "application/octet-stream"},
                                   {"mime-version", "1.0"},
                                   {"content-transfer-encoding", "binary"}});
  // The media ends in '\r': in a bare-LF body only the "\n" before the
  // delimiter is stripped, so the '\r' is kept.
  CHECK((*parts)[1].body.size() == kPythonMedia.size());
  CHECK((*parts)[1].body == kPythonMedia);
}

TEST_CASE("multipart: Python googleapiclient 1.7.12 text upload", "[unit]") {
  const std::string body =
      "--===============6916644445424966547==\n"
      "Content-Type: application/json\n"
      "MIME-Version: 1.0\n"
      "\n"
      "{\"name\": \"a.txt\"}\n"
      "--===============6916644445424966547==\n"
      "Content-Type: text/plain\n"
      "MIME-Version: 1.0\n"
      "Content-Transfer-Encoding: binary\n"
      "\n"
      "hello\n"
      "--===============6916644445424966547==--\n";
  auto parts = ParseMultipart(
      "multipart/related; boundary=\"===============6916644445424966547==\"",
      body);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].body == R"({"name": "a.txt"})");
  CHECK((*parts)[1].body == "hello");
  CHECK((*parts)[1].headers.at("content-type") == "text/plain");
}

TEST_CASE("multipart: lenient framing", "[unit]") {
  SECTION("preamble, padding, epilogue, header case and spacing") {
    const std::string body =
        "This is a preamble.\r\n--xyz   \r\n"
        "CONTENT-TYPE:application/json;  charset=UTF-8  \r\n"
        "X-Extra:   spaced value\t\r\n\r\n"
        "{}\r\n--xyz\t\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        "--xyz--  \r\nepilogue --xyz\r\n";
    auto parts = ParseMultipart("Multipart/Related; BOUNDARY=xyz", body);
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].headers ==
          std::map<std::string, std::string>{
              {"content-type", "application/json;  charset=UTF-8"},
              {"x-extra", "spaced value"}});
    CHECK((*parts)[0].body == "{}");
    CHECK((*parts)[1].body == "body");
  }
  SECTION("close delimiter followed by CRLF") {
    auto parts =
        ParseMultipart("multipart/related; boundary=b",
                       "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 1);
    CHECK((*parts)[0].body == "x");
  }
  SECTION("CRLF body strips exactly one line break") {
    auto parts = ParseMultipart("multipart/related; boundary=b",
                                "--b\r\n\r\n\r\n\r\n--b\r\n\r\nx\n\n--b--");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].headers.empty());
    CHECK((*parts)[0].body == "\r\n");
    CHECK((*parts)[1].body == "x\n");  // a lone LF is stripped in CRLF mode
  }
  SECTION("empty media part and a part without headers") {
    auto parts = ParseMultipart(
        "multipart/related; boundary=b",
        "--b\r\n\r\n{}\r\n--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b--");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].headers.empty());
    CHECK((*parts)[0].body == "{}");
    CHECK((*parts)[1].body.empty());
  }
  SECTION("a part with no blank line is all headers") {
    auto parts = ParseMultipart("multipart/related; boundary=b",
                                "--b\nContent-Type: text/plain\n--b--");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 1);
    CHECK((*parts)[0].headers.at("content-type") == "text/plain");
    CHECK((*parts)[0].body.empty());
  }
  SECTION("folded, duplicate and malformed header lines") {
    auto parts = ParseMultipart("multipart/related; boundary=b",
                                "--b\r\nX-A: one\r\n  two\r\nX-A: dup\r\n"
                                "garbage line\r\n: no name\r\n\r\nz\r\n--b--");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 1);
    CHECK((*parts)[0].headers ==
          std::map<std::string, std::string>{{"x-a", "one two"}});
    CHECK((*parts)[0].body == "z");
  }
  SECTION("boundary text not at a line start is data") {
    auto parts = ParseMultipart("multipart/related; boundary=b",
                                "--b\r\n\r\nabc--b\r\n--b-\r\n--bb\r\n--b--");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 1);
    CHECK((*parts)[0].body == "abc--b\r\n--b-\r\n--bb");
  }
  SECTION("three parts") {
    auto parts = ParseMultipart("multipart/related; boundary=b",
                                "--b\n\n1\n--b\n\n2\n--b\n\n3\n--b--");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 3);
    CHECK((*parts)[2].body == "3");
  }
}

TEST_CASE("multipart: errors", "[unit]") {
  const std::string ok_body = "--b\r\n\r\nx\r\n--b--";
  auto code = [](const Result<std::vector<MultipartPart>>& r) {
    return r.status().code();
  };
  SECTION("no boundary") {
    CHECK(code(ParseMultipart("multipart/related", ok_body)) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("multipart/related; charset=x", ok_body)) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("multipart/related; boundary=", ok_body)) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("multipart/related; boundary=\"\"", ok_body)) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("", ok_body)) == StatusCode::kInvalidArgument);
  }
  SECTION("no delimiter at all") {
    CHECK(code(ParseMultipart("multipart/related; boundary=b", "")) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("multipart/related; boundary=c", ok_body)) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("multipart/related; boundary=b", "x--b\r\n")) ==
          StatusCode::kInvalidArgument);
  }
  SECTION("missing close delimiter") {
    const char* kTruncated[] = {
        "--b\r\n\r\nx",
        "--b\r\n\r\nx\r\n",
        "--b\r\n\r\nx\r\n--b",
        "--b\r\n\r\nx\r\n--b\r\n",
        "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b-",
        "--b\r\n\r\nx--b--",
    };
    for (const char* body : kTruncated) {
      INFO(body);
      CHECK(code(ParseMultipart("multipart/related; boundary=b", body)) ==
            StatusCode::kInvalidArgument);
    }
  }
  SECTION("no parts") {
    CHECK(code(ParseMultipart("multipart/related; boundary=b", "--b--")) ==
          StatusCode::kInvalidArgument);
    CHECK(code(ParseMultipart("multipart/related; boundary=b",
                              "preamble\r\n--b--\r\n")) ==
          StatusCode::kInvalidArgument);
  }
  SECTION("the complete body parses") {
    CHECK(ParseMultipart("multipart/related; boundary=b", ok_body).ok());
  }
}

TEST_CASE("multipart: boundary parameter", "[unit]") {
  CHECK(MultipartBoundary("multipart/related; boundary=abc") == "abc");
  CHECK(MultipartBoundary("multipart/related;boundary=abc;charset=x") == "abc");
  CHECK(MultipartBoundary("multipart/related; type=\"a;b\"; boundary=abc") ==
        "abc");
  CHECK(MultipartBoundary("multipart/related; charset=utf-8; Boundary = "
                          "\"a b;c\\\"d\" ; x=y") == "a b;c\"d");
  CHECK(MultipartBoundary("multipart/related; flag; boundary=z") == "z");
  CHECK(MultipartBoundary("multipart/related; boundary=\"unterminated") ==
        "unterminated");
  CHECK(MultipartBoundary("multipart/related").empty());
  CHECK(MultipartBoundary("multipart/related; xboundary=a").empty());
}

}  // namespace
}  // namespace gdmount::emulator
