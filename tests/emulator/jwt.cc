#include "tests/emulator/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <utility>

namespace gdmount::emulator {
namespace {

// RFC 7636 section 4.1 bounds on the verifier length.
constexpr size_t kMinVerifierLength = 43;
constexpr size_t kMaxVerifierLength = 128;

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::shared_ptr<evp_pkey_st> Own(EVP_PKEY* pkey) {
  return std::shared_ptr<evp_pkey_st>(pkey, EVP_PKEY_free);
}

// A failed OpenSSL call leaves entries on the thread's error queue; drop
// them so a later, unrelated call does not report a stale error.
Status OpenSslError(StatusCode code, const char* what) {
  ERR_clear_error();
  return Status(code, what);
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

// Refuses encrypted PEMs instead of letting OpenSSL prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

Status CheckRsa(EVP_PKEY* pkey) {
  if (!EVP_PKEY_is_a(pkey, "RSA")) {
    return InvalidArgumentError("key is not an RSA key");
  }
  if (EVP_PKEY_get_bits(pkey) < RsaKey::kDefaultBits) {
    return InvalidArgumentError("RSA key is shorter than 2048 bits");
  }
  return Status::Ok();
}

}  // namespace

std::string PkceS256Challenge(std::string_view verifier) {
  return Base64UrlEncode(Sha256(verifier));
}

bool IsValidPkceVerifier(std::string_view s) {
  if (s.size() < kMinVerifierLength || s.size() > kMaxVerifierLength) {
    return false;
  }
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
              c == '~';
    if (!ok) return false;
  }
  return true;
}

// --- RsaKey
// -------------------------------------------------------------------

Result<RsaKey> RsaKey::Generate(int bits) {
  if (bits < kDefaultBits) {
    return InvalidArgumentError("RSA keys must have at least 2048 bits");
  }
  EVP_PKEY* pkey =
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (pkey == nullptr) {
    return OpenSslError(StatusCode::kInternal, "RSA key generation failed");
  }
  return RsaKey(Own(pkey), /*has_private=*/true);
}

Result<RsaKey> RsaKey::FromPrivatePem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
             BIO_free);
  if (!bio) return OpenSslError(StatusCode::kInternal, "BIO_new_mem_buf");
  EVP_PKEY* raw =
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (raw == nullptr) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "not an unencrypted PEM private key");
  }
  std::shared_ptr<evp_pkey_st> pkey = Own(raw);
  if (Status s = CheckRsa(raw); !s.ok()) return s;
  return RsaKey(std::move(pkey), /*has_private=*/true);
}

Result<RsaKey> RsaKey::FromPublicPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
             BIO_free);
  if (!bio) return OpenSslError(StatusCode::kInternal, "BIO_new_mem_buf");
  EVP_PKEY* raw =
      PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr);
  if (raw == nullptr) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "not a PEM public key (SubjectPublicKeyInfo)");
  }
  std::shared_ptr<evp_pkey_st> pkey = Own(raw);
  if (Status s = CheckRsa(raw); !s.ok()) return s;
  return RsaKey(std::move(pkey), /*has_private=*/false);
}

int RsaKey::bits() const { return pkey_ ? EVP_PKEY_get_bits(pkey_.get()) : 0; }

Result<std::string> RsaKey::PrivatePem() const {
  if (!pkey_ || !has_private_) {
    return InvalidArgumentError("key has no private part");
  }
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  // No cipher: PEM_write_bio_PrivateKey writes unencrypted PKCS#8.
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr,
                                       0, nullptr, nullptr) != 1) {
    return OpenSslError(StatusCode::kInternal, "PEM_write_bio_PrivateKey");
  }
  return BioContents(bio.get());
}

Result<std::string> RsaKey::PublicPem() const {
  if (!pkey_) return InvalidArgumentError("empty key");
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "PEM_write_bio_PUBKEY");
  }
  return BioContents(bio.get());
}

Result<std::string> RsaKey::PublicDer() const {
  if (!pkey_) return InvalidArgumentError("empty key");
  int len = i2d_PUBKEY(pkey_.get(), nullptr);
  if (len <= 0) return OpenSslError(StatusCode::kInternal, "i2d_PUBKEY");
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_PUBKEY(pkey_.get(), &p) != len) {
    return OpenSslError(StatusCode::kInternal, "i2d_PUBKEY");
  }
  return der;
}

Result<std::string> RsaKey::SignRs256(std::string_view data) const {
  if (!pkey_ || !has_private_) {
    return InvalidArgumentError("key has no private part");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  // RSA's default padding in EVP_DigestSign is PKCS#1 v1.5, i.e. RS256.
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "RS256 signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "RS256 signing failed");
  }
  sig.resize(len);
  return sig;
}

bool RsaKey::VerifyRs256(std::string_view data,
                         std::string_view signature) const {
  if (!pkey_) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                           pkey_.get()) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
          data.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

// --- JWT
// ----------------------------------------------------------------------

Result<Jwt> ParseJwt(std::string_view compact) {
  size_t dot1 = compact.find('.');
  size_t dot2 =
      dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos ||
      compact.find('.', dot2 + 1) != std::string_view::npos) {
    return InvalidArgumentError("JWT must have exactly three segments");
  }
  std::string_view parts[3] = {compact.substr(0, dot1),
                               compact.substr(dot1 + 1, dot2 - dot1 - 1),
                               compact.substr(dot2 + 1)};
  static constexpr const char* kNames[2] = {"header", "claims"};
  Jwt jwt;
  nlohmann::json* targets[2] = {&jwt.header, &jwt.claims};
  for (int i = 0; i < 2; ++i) {
    Result<std::string> text = Base64UrlDecode(parts[i]);
    if (!text.ok()) {
      return InvalidArgumentError(std::string("JWT ") + kNames[i] +
                                  " is not base64url");
    }
    *targets[i] = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/
                                        false);
    if (!targets[i]->is_object()) {
      return InvalidArgumentError(std::string("JWT ") + kNames[i] +
                                  " is not a JSON object");
    }
  }
  Result<std::string> sig = Base64UrlDecode(parts[2]);
  if (!sig.ok()) return InvalidArgumentError("JWT signature is not base64url");
  jwt.signature = std::move(*sig);
  jwt.signing_input = std::string(compact.substr(0, dot2));
  return jwt;
}

Result<std::string> EncodeJwtRs256(const nlohmann::json& claims,
                                   const RsaKey& key, std::string_view kid) {
  if (!claims.is_object()) {
    return InvalidArgumentError("JWT claims must be a JSON object");
  }
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = std::string(kid);
  std::string input = Base64UrlEncode(DumpJson(header)) + "." +
                      Base64UrlEncode(DumpJson(claims));
  Result<std::string> sig = key.SignRs256(input);
  if (!sig.ok()) return sig.status();
  return input + "." + Base64UrlEncode(*sig);
}

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false,
                nlohmann::json::error_handler_t::replace);
}

}  // namespace gdmount::emulator
