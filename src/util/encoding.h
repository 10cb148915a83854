// Byte encodings and digests used by auth/ and drive/: base64url (JWT,
// PKCE), standard base64 (PEM-free key handling), hex, SHA-256, MD5.
// OpenSSL EVP only (no deprecated interfaces). Nothing here throws.
//
// Thread safety: all functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "gdmount/result.h"

namespace gdmount::util {

// RFC 4648 section 5 base64url without '=' padding.
std::string Base64UrlEncode(std::string_view data);
// Unpadded base64url; trailing '=' tolerated. InvalidArgument otherwise.
Result<std::string> Base64UrlDecode(std::string_view text);

// Lower-case hex of bytes.
std::string HexEncode(std::string_view bytes);

// Raw digests (32 and 16 bytes).
std::string Sha256(std::string_view data);
std::string Md5(std::string_view data);

// Incremental MD5, for checking downloads and staging files as they stream.
class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;
  void Update(const char* data, size_t size);
  // Lower-case hex digest; the hasher is spent afterwards.
  std::string FinishHex();

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace gdmount::util
