#include "auth/service_account.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "util/encoding.h"

namespace gdmount::auth {
namespace {

using json = nlohmann::json;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// Real key files are ~2.3 KiB; refuse to slurp anything huge.
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

constexpr const char* kBadKey =
    "the key file's private_key is not an unencrypted PEM RSA private key";

// Encrypted keys would otherwise make OpenSSL prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

PkeyPtr LoadRsaPrivateKey(std::string_view pem) {
  PkeyPtr none(nullptr, EVP_PKEY_free);
  if (pem.size() > INT_MAX) return none;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return none;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  ERR_clear_error();  // don't leave failures in the thread's error queue
  PkeyPtr out(key, EVP_PKEY_free);
  if (out && !EVP_PKEY_is_a(out.get(), "RSA")) return none;
  return out;
}

Result<std::string> SignRs256(EVP_PKEY* key, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = 0;
  // RSA's default padding for EVP_DigestSign is PKCS#1 v1.5.
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    ERR_clear_error();
    return InternalError("RS256 signing failed to initialise");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, in, data.size()) != 1) {
    ERR_clear_error();
    return InternalError("RS256 signing failed");
  }
  sig.resize(len);
  return sig;
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Never throws, even for invalid UTF-8 in a caller-supplied subject.
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, false);
  if (!j.is_object()) {
    return InvalidArgumentError(
        "the service-account key file is not a JSON object");
  }
  const std::string type = StringField(j, "type");
  if (type != "service_account") {
    return InvalidArgumentError(
        "the key file has type \"" + type.substr(0, 40) +
        "\", not \"service_account\": create a JSON key under IAM & Admin > "
        "Service accounts > Keys");
  }
  ServiceAccountKey key;
  key.client_email = StringField(j, "client_email");
  key.private_key_pem = StringField(j, "private_key");
  key.private_key_id = StringField(j, "private_key_id");
  key.token_uri = StringField(j, "token_uri");
  if (key.token_uri.empty()) key.token_uri = kGoogleTokenUrl;
  if (key.client_email.empty()) {
    return InvalidArgumentError("the key file has no client_email");
  }
  if (key.private_key_pem.empty()) {
    return InvalidArgumentError("the key file has no private_key");
  }
  if (!LoadRsaPrivateKey(key.private_key_pem)) {
    return InvalidArgumentError(kBadKey);
  }
  return key;
}

Result<ServiceAccountKey> ReadServiceAccountKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string m = "cannot open service-account key file " + path + ": " +
                    std::strerror(err);
    if (err == ENOENT) return NotFoundError(std::move(m));
    if (err == EACCES) return Status(StatusCode::kPermissionDenied, m);
    return IoError(std::move(m));
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return IoError("cannot read " + path);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) {
    return InvalidArgumentError(path + " is too large for a key file");
  }
  Result<ServiceAccountKey> key = ParseServiceAccountKey(text);
  if (!key.ok())
    return InvalidArgumentError(path + ": " + key.status().message());
  return key;
}

Result<std::string> MakeJwtAssertion(const ServiceAccountKey& key,
                                     const std::string& scope,
                                     const std::string& audience,
                                     const std::string& subject,
                                     int64_t now_s) {
  PkeyPtr pkey = LoadRsaPrivateKey(key.private_key_pem);
  if (!pkey) return InvalidArgumentError(kBadKey);
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  json claims = {{"iss", key.client_email},
                 {"scope", scope},
                 {"aud", audience},
                 {"iat", now_s},
                 {"exp", now_s + kJwtLifetimeS}};
  if (!subject.empty()) claims["sub"] = subject;
  std::string signing_input = util::Base64UrlEncode(Dump(header)) + "." +
                              util::Base64UrlEncode(Dump(claims));
  Result<std::string> sig = SignRs256(pkey.get(), signing_input);
  if (!sig.ok()) return sig.status();
  return signing_input + "." + util::Base64UrlEncode(*sig);
}

}  // namespace gdmount::auth
