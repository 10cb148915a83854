// Crypto for the emulator's OAuth server: base64url, SHA-256, PKCE S256,
// RSA keys (generation, PEM in and out) and compact RS256 JSON Web Tokens.
//
// This is the only emulator file that talks to OpenSSL, and it uses only the
// OpenSSL 3 EVP/PEM interfaces (no deprecated RSA_* calls). Nothing here
// throws: failures come back as Status/Result or as `false`.
//
// Thread safety: the free functions are thread-safe. RsaKey is an immutable
// handle to a reference-counted EVP_PKEY; copies share the key, and all const
// methods may be called concurrently (each call uses its own EVP_MD_CTX).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gdmount/result.h"
#include "gdmount/status.h"
#include "util/encoding.h"

// OpenSSL's EVP_PKEY, forward-declared so this header stays OpenSSL-free.
struct evp_pkey_st;

namespace gdmount::emulator {

// --- encodings and digests --------------------------------------------------

// base64url, SHA-256 and hex are gdmount's own (src/util/encoding.h): the
// emulator and the client must agree on them byte for byte anyway.
using util::Base64UrlDecode;
using util::Base64UrlEncode;
using util::HexEncode;
using util::Sha256;

// RFC 7636 S256 code challenge: BASE64URL(SHA256(ASCII(verifier))).
std::string PkceS256Challenge(std::string_view verifier);

// True if `s` is a syntactically valid RFC 7636 code_verifier (and equally
// a plain code_challenge): 43 to 128 characters of [A-Za-z0-9-._~].
bool IsValidPkceVerifier(std::string_view s);

// --- RSA keys ---------------------------------------------------------------

class RsaKey {
 public:
  // The size Google issues service-account keys with; also the minimum this
  // emulator accepts, so tests cannot silently rely on weaker keys.
  static constexpr int kDefaultBits = 2048;

  RsaKey() = default;  // empty: valid() is false, every operation fails

  // Generates a fresh key pair.
  // Returns InvalidArgument if bits < kDefaultBits, Internal if OpenSSL fails.
  static Result<RsaKey> Generate(int bits = kDefaultBits);

  // Parses a private key PEM ("BEGIN PRIVATE KEY" PKCS#8, as in Google's
  // key files; traditional "BEGIN RSA PRIVATE KEY" is accepted too).
  // Unencrypted keys only. Returns InvalidArgument if the text is not an RSA
  // private key of at least kDefaultBits.
  static Result<RsaKey> FromPrivatePem(std::string_view pem);

  // Parses a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
  // Returns InvalidArgument as for FromPrivatePem.
  static Result<RsaKey> FromPublicPem(std::string_view pem);

  bool valid() const { return pkey_ != nullptr; }
  bool has_private() const { return has_private_; }
  int bits() const;  // modulus size; 0 if !valid()

  // Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----\n...").
  // Returns InvalidArgument if the key has no private part.
  Result<std::string> PrivatePem() const;

  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----\n...").
  Result<std::string> PublicPem() const;

  // DER SubjectPublicKeyInfo; used to derive stable key ids.
  Result<std::string> PublicDer() const;

  // RSASSA-PKCS1-v1_5 with SHA-256 over `data`: the raw signature bytes.
  // Returns InvalidArgument without a private part, Internal on failure.
  Result<std::string> SignRs256(std::string_view data) const;

  // True only if `signature` is a valid RS256 signature of `data`.
  bool VerifyRs256(std::string_view data, std::string_view signature) const;

 private:
  RsaKey(std::shared_ptr<evp_pkey_st> pkey, bool has_private)
      : pkey_(std::move(pkey)), has_private_(has_private) {}

  std::shared_ptr<evp_pkey_st> pkey_;
  bool has_private_ = false;
};

// --- JSON Web Tokens (compact serialization) ---------------------------------

// A decoded but NOT yet verified JWT.
struct Jwt {
  nlohmann::json header;      // always a JSON object
  nlohmann::json claims;      // always a JSON object
  std::string signing_input;  // "<b64 header>.<b64 claims>", what was signed
  std::string signature;      // raw bytes (decoded third segment)
};

// Splits and decodes "<header>.<claims>.<signature>". Does not look at `alg`
// or verify anything.
// Returns InvalidArgument (message says which part) on a wrong number of
// segments, bad base64url, or a header/claims segment that is not a JSON
// object.
Result<Jwt> ParseJwt(std::string_view compact);

// Builds and signs a JWT with header {"alg":"RS256","typ":"JWT"} plus
// "kid":kid when kid is non-empty.
// Returns InvalidArgument if claims is not an object or the key cannot sign.
Result<std::string> EncodeJwtRs256(const nlohmann::json& claims,
                                   const RsaKey& key, std::string_view kid);

// Serializes JSON without ever throwing: invalid UTF-8 in strings (which
// can arrive from untrusted requests) is replaced by U+FFFD.
std::string DumpJson(const nlohmann::json& j);

}  // namespace gdmount::emulator
