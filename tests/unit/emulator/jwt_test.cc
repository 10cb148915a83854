#include "tests/emulator/jwt.h"

#include <catch2/catch.hpp>
#include <string>

namespace gdmount::emulator {
namespace {

// One key pair for the whole file: RSA generation is the slow part.
const RsaKey& TestKey() {
  static const RsaKey key = RsaKey::Generate().value();
  return key;
}

TEST_CASE("Base64UrlEncode matches the RFC 4648 vectors", "[unit]") {
  CHECK(Base64UrlEncode("") == "");
  CHECK(Base64UrlEncode("f") == "Zg");
  CHECK(Base64UrlEncode("fo") == "Zm8");
  CHECK(Base64UrlEncode("foo") == "Zm9v");
  CHECK(Base64UrlEncode("foob") == "Zm9vYg");
  CHECK(Base64UrlEncode("fooba") == "Zm9vYmE");
  CHECK(Base64UrlEncode("foobar") == "Zm9vYmFy");
  // The URL-safe alphabet: 0xfb 0xff is "+/8=" in standard base64.
  CHECK(Base64UrlEncode(std::string("\xfb\xff", 2)) == "-_8");
}

TEST_CASE("Base64UrlDecode round-trips and rejects bad input", "[unit]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string part = all.substr(0, n);
    Result<std::string> back = Base64UrlDecode(Base64UrlEncode(part));
    REQUIRE(back.ok());
    CHECK(*back == part);
  }
  CHECK(Base64UrlDecode("-_8").value() == std::string("\xfb\xff", 2));
  CHECK(Base64UrlDecode("Zg==").value() == "f");  // padding tolerated
  CHECK_FALSE(Base64UrlDecode("Zm9v+").ok());     // standard alphabet
  CHECK_FALSE(Base64UrlDecode("Zm/v").ok());
  CHECK_FALSE(Base64UrlDecode("Zm9vY").ok());  // 4n+1 characters
  CHECK_FALSE(Base64UrlDecode("Zm 9v").ok());
  CHECK(Base64UrlDecode("Zm9vYmE").status().ok());
  CHECK(Base64UrlDecode("a*b").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Sha256 matches FIPS 180-2 vectors", "[unit]") {
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("PkceS256Challenge matches RFC 7636 Appendix B", "[unit]") {
  CHECK(PkceS256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  // A second vector, computed independently with Python's hashlib.
  CHECK(PkceS256Challenge("dBjftJeZ4CVP-mJ92ZtYxeaJfIVm7OMUSyW8RZYs69I") ==
        "l7BFdZanVFMDNSK_kVZodd_TmisjbDap2P01W_ExXRI");
}

TEST_CASE("IsValidPkceVerifier enforces length and alphabet", "[unit]") {
  CHECK(IsValidPkceVerifier(std::string(43, 'a')));
  CHECK(IsValidPkceVerifier(std::string(128, '~')));
  CHECK(IsValidPkceVerifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  CHECK_FALSE(IsValidPkceVerifier(std::string(42, 'a')));
  CHECK_FALSE(IsValidPkceVerifier(std::string(129, 'a')));
  CHECK_FALSE(IsValidPkceVerifier(std::string(42, 'a') + "+"));
  CHECK_FALSE(IsValidPkceVerifier(std::string(42, 'a') + "/"));
}

TEST_CASE("RsaKey generates, exports and re-imports PEM", "[unit]") {
  const RsaKey& key = TestKey();
  REQUIRE(key.valid());
  CHECK(key.has_private());
  CHECK(key.bits() == 2048);

  Result<std::string> priv = key.PrivatePem();
  REQUIRE(priv.ok());
  CHECK(priv->rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);  // PKCS#8
  Result<std::string> pub = key.PublicPem();
  REQUIRE(pub.ok());
  CHECK(pub->rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);

  Result<RsaKey> again = RsaKey::FromPrivatePem(*priv);
  REQUIRE(again.ok());
  CHECK(again->has_private());
  CHECK(again->PublicPem().value() == *pub);

  Result<RsaKey> public_only = RsaKey::FromPublicPem(*pub);
  REQUIRE(public_only.ok());
  CHECK_FALSE(public_only->has_private());
  CHECK(public_only->PrivatePem().status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(public_only->SignRs256("x").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(public_only->PublicDer().value() == key.PublicDer().value());
}

TEST_CASE("RsaKey rejects garbage and short keys", "[unit]") {
  CHECK(RsaKey::FromPrivatePem("not a key").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(RsaKey::FromPublicPem("").status().code() ==
        StatusCode::kInvalidArgument);
  // A public PEM is not a private key.
  CHECK_FALSE(RsaKey::FromPrivatePem(TestKey().PublicPem().value()).ok());
  CHECK(RsaKey::Generate(1024).status().code() == StatusCode::kInvalidArgument);
  RsaKey empty;
  CHECK_FALSE(empty.valid());
  CHECK_FALSE(empty.VerifyRs256("a", "b"));
  CHECK_FALSE(empty.PublicPem().ok());
}

TEST_CASE("RS256 signatures verify only for the signed data and key",
          "[unit]") {
  const RsaKey& key = TestKey();
  Result<std::string> sig = key.SignRs256("hello");
  REQUIRE(sig.ok());
  CHECK(sig->size() == 256);  // 2048-bit modulus
  CHECK(key.VerifyRs256("hello", *sig));
  // PKCS#1 v1.5 is deterministic.
  CHECK(key.SignRs256("hello").value() == *sig);
  CHECK_FALSE(key.VerifyRs256("hellO", *sig));
  std::string bad = *sig;
  bad[10] ^= 1;
  CHECK_FALSE(key.VerifyRs256("hello", bad));
  CHECK_FALSE(key.VerifyRs256("hello", sig->substr(1)));
  CHECK_FALSE(key.VerifyRs256("hello", ""));

  RsaKey public_only = RsaKey::FromPublicPem(key.PublicPem().value()).value();
  CHECK(public_only.VerifyRs256("hello", *sig));
}

TEST_CASE("EncodeJwtRs256 and ParseJwt round-trip", "[unit]") {
  nlohmann::json claims = {{"iss", "a@b"}, {"iat", 1}, {"exp", 2}};
  Result<std::string> jwt = EncodeJwtRs256(claims, TestKey(), "kid1");
  REQUIRE(jwt.ok());
  Result<Jwt> parsed = ParseJwt(*jwt);
  REQUIRE(parsed.ok());
  CHECK(parsed->header ==
        nlohmann::json({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid1"}}));
  CHECK(parsed->claims == claims);
  CHECK(parsed->signing_input == jwt->substr(0, jwt->rfind('.')));
  CHECK(TestKey().VerifyRs256(parsed->signing_input, parsed->signature));

  // No kid: the header has none.
  Result<std::string> no_kid = EncodeJwtRs256(claims, TestKey(), "");
  REQUIRE(no_kid.ok());
  CHECK_FALSE(ParseJwt(*no_kid)->header.contains("kid"));
  CHECK_FALSE(EncodeJwtRs256(nlohmann::json::array(), TestKey(), "").ok());
}

TEST_CASE("ParseJwt rejects malformed tokens", "[unit]") {
  const std::string h = Base64UrlEncode(R"({"alg":"RS256"})");
  const std::string c = Base64UrlEncode(R"({"iss":"x"})");
  CHECK(ParseJwt(h + "." + c + ".").ok());  // empty signature still parses
  CHECK_FALSE(ParseJwt("").ok());
  CHECK_FALSE(ParseJwt(h + "." + c).ok());
  CHECK_FALSE(ParseJwt(h + "." + c + ".sig.extra").ok());
  CHECK_FALSE(ParseJwt(h + "!." + c + ".").ok());
  CHECK_FALSE(ParseJwt(h + "." + c + ".a*b").ok());
  CHECK_FALSE(ParseJwt(Base64UrlEncode("{not json") + "." + c + ".").ok());
  CHECK_FALSE(ParseJwt(h + "." + Base64UrlEncode("[1,2]") + ".").ok());
  CHECK_FALSE(ParseJwt(h + "." + Base64UrlEncode("\xff\xfe") + ".").ok());
  CHECK(ParseJwt("a.b").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("DumpJson never throws on invalid UTF-8", "[unit]") {
  nlohmann::json j = {{"k", std::string("a\xff")}};
  std::string s;
  REQUIRE_NOTHROW(s = DumpJson(j));
  CHECK(s == "{\"k\":\"a\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace gdmount::emulator
