#include "util/encoding.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace gdmount::util {
namespace {

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of a base64url character, or -1.
int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// EVP digests only fail on allocation failure or a broken OpenSSL install;
// there is no sensible way to continue with a wrong digest, so abort.
[[noreturn]] void DigestFailed(const char* what) {
  std::fprintf(stderr, "gdmount: OpenSSL %s digest failed\n", what);
  std::abort();
}

std::string Digest(const EVP_MD* md, const char* name, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    DigestFailed(name);
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&data](size_t k) -> uint32_t {
    return static_cast<unsigned char>(data[k]);
  };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 6) & 63]);
    out.push_back(kBase64UrlAlphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kBase64UrlAlphabet[(v >> 6) & 63]);
  }
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  // At most two '=' can pad a base64 quantum.
  for (int k = 0; k < 2 && !text.empty() && text.back() == '='; ++k) {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return InvalidArgumentError("base64url: impossible length");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64UrlValue(c);
    if (v < 0) return InvalidArgumentError("base64url: invalid character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string Sha256(std::string_view data) {
  return Digest(EVP_sha256(), "SHA-256", data);
}

std::string Md5(std::string_view data) {
  return Digest(EVP_md5(), "MD5", data);
}

Md5Hasher::Md5Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_),
                                           EVP_md5(), nullptr) != 1) {
    DigestFailed("MD5");
  }
}

Md5Hasher::~Md5Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Md5Hasher::Update(const char* data, size_t size) {
  // A spent hasher has no context; updating it is a harmless no-op.
  if (ctx_ == nullptr || size == 0) return;
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size) != 1) {
    DigestFailed("MD5");
  }
}

std::string Md5Hasher::FinishHex() {
  if (ctx_ == nullptr) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  if (EVP_DigestFinal_ex(ctx, out, &len) != 1) DigestFailed("MD5");
  EVP_MD_CTX_free(ctx);
  ctx_ = nullptr;
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace gdmount::util
