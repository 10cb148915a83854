#include "util/encoding.h"

#include <catch2/catch.hpp>
#include <string>

namespace gdmount::util {
namespace {

// Standard base64 (RFC 4648 section 4) of the section 10 vectors, converted
// to the URL-safe alphabet and stripped of padding, is what we expect.
TEST_CASE("Base64UrlEncode matches the RFC 4648 test vectors", "[unit]") {
  CHECK(Base64UrlEncode("") == "");
  CHECK(Base64UrlEncode("f") == "Zg");
  CHECK(Base64UrlEncode("fo") == "Zm8");
  CHECK(Base64UrlEncode("foo") == "Zm9v");
  CHECK(Base64UrlEncode("foob") == "Zm9vYg");
  CHECK(Base64UrlEncode("fooba") == "Zm9vYmE");
  CHECK(Base64UrlEncode("foobar") == "Zm9vYmFy");
}

TEST_CASE("Base64UrlEncode uses '-' and '_' instead of '+' and '/'", "[unit]") {
  CHECK(Base64UrlEncode(std::string("\xfb\xff\xbf", 3)) == "-_-_");
  CHECK(Base64UrlEncode(std::string("\x00\x00\x00", 3)) == "AAAA");
}

TEST_CASE("Base64UrlDecode inverts the RFC 4648 vectors", "[unit]") {
  for (const char* plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    Result<std::string> r = Base64UrlDecode(Base64UrlEncode(plain));
    REQUIRE(r.ok());
    CHECK(*r == plain);
  }
  Result<std::string> bytes = Base64UrlDecode("-_-_");
  REQUIRE(bytes.ok());
  CHECK(*bytes == std::string("\xfb\xff\xbf", 3));
}

TEST_CASE("Base64UrlDecode round-trips every byte value", "[unit]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string in = all.substr(0, n);
    Result<std::string> r = Base64UrlDecode(Base64UrlEncode(in));
    REQUIRE(r.ok());
    CHECK(*r == in);
  }
}

TEST_CASE("Base64UrlDecode tolerates trailing padding", "[unit]") {
  Result<std::string> one = Base64UrlDecode("Zm9vYg==");
  REQUIRE(one.ok());
  CHECK(*one == "foob");
  Result<std::string> two = Base64UrlDecode("Zm9vYmE=");
  REQUIRE(two.ok());
  CHECK(*two == "fooba");
}

TEST_CASE("Base64UrlDecode rejects malformed input", "[unit]") {
  CHECK(Base64UrlDecode("Zm9v+g").status().code() ==
        StatusCode::kInvalidArgument);  // standard alphabet
  CHECK(Base64UrlDecode("Zm9/").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Base64UrlDecode("Zm 9v").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Base64UrlDecode("Z").status().code() ==
        StatusCode::kInvalidArgument);  // 4n+1 characters
  CHECK(Base64UrlDecode("Zm9vY").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(Base64UrlDecode("Zg===").status().code() ==
        StatusCode::kInvalidArgument);  // three '=' is never padding
  CHECK(Base64UrlDecode("Zm=9v").status().code() ==
        StatusCode::kInvalidArgument);  // '=' in the middle
}

TEST_CASE("HexEncode is lower-case and covers all nibbles", "[unit]") {
  CHECK(HexEncode("") == "");
  CHECK(HexEncode(std::string("\x01\xab\xff\x00", 4)) == "01abff00");
  CHECK(HexEncode("0123456789") == "30313233343536373839");
}

TEST_CASE("Sha256 matches FIPS 180-2 vectors", "[unit]") {
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(HexEncode(Sha256(
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256("abc").size() == 32);
}

TEST_CASE("Md5 matches RFC 1321 vectors", "[unit]") {
  CHECK(HexEncode(Md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(HexEncode(Md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(HexEncode(Md5("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(Md5("abc").size() == 16);
}

TEST_CASE("Md5Hasher equals one-shot Md5 regardless of chunking", "[unit]") {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>(i * 7));
  for (size_t chunk : {1u, 3u, 64u, 1000u, 10000u}) {
    Md5Hasher h;
    for (size_t off = 0; off < data.size(); off += chunk) {
      std::string_view piece = std::string_view(data).substr(off, chunk);
      h.Update(piece.data(), piece.size());
    }
    CHECK(h.FinishHex() == HexEncode(Md5(data)));
  }
}

TEST_CASE("Md5Hasher of nothing is the empty digest, spent afterwards",
          "[unit]") {
  Md5Hasher h;
  h.Update("", 0);
  CHECK(h.FinishHex() == "d41d8cd98f00b204e9800998ecf8427e");
  h.Update("abc", 3);  // no-op once spent
  CHECK(h.FinishHex().empty());
}

}  // namespace
}  // namespace gdmount::util
