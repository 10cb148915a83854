// Service-account credentials (protocol guide section 12.2): Google's JSON
// key file and the RS256-signed JWT assertion exchanged for an access token.
//
// The private key is a secret: it is kept in memory only as long as the
// caller keeps the ServiceAccountKey, and never appears in a message.
// Thread safety: thread-safe (pure functions over their arguments).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gdmount/result.h"

namespace gdmount::auth {

// Google's token endpoint: the default token_uri and JWT `aud`.
inline constexpr const char* kGoogleTokenUrl =
    "https://oauth2.googleapis.com/token";
// Google's limit on an assertion's lifetime (exp - iat).
inline constexpr int64_t kJwtLifetimeS = 3600;

struct ServiceAccountKey {
  std::string client_email;     // JWT `iss`
  std::string private_key_pem;  // PKCS#8 PEM; secret
  std::string private_key_id;   // JWT header `kid`; may be empty
  std::string token_uri;        // kGoogleTokenUrl when the file has none
};

// Parses a key file downloaded from IAM > Service accounts > Keys.
// REQUIRES nothing of the input. Errors: InvalidArgument naming the problem
// (not JSON, "type" is not "service_account" — e.g. an OAuth client file —
// or client_email/private_key missing or not an unencrypted RSA key).
Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json_text);

// Reads and parses the key file at `path` (size-capped).
// Errors: NotFound / PermissionDenied / Io for the file, then as
// ParseServiceAccountKey; messages name the path.
Result<ServiceAccountKey> ReadServiceAccountKeyFile(const std::string& path);

// A compact JWT "<header>.<claims>.<signature>": header {"alg":"RS256",
// "typ":"JWT","kid":private_key_id}, claims {iss, scope, aud, iat=now_s,
// exp=now_s+kJwtLifetimeS, sub (only when `subject` is non-empty: domain-
// wide delegation)}, signed RSASSA-PKCS1-v1_5 with SHA-256.
// `audience` must be the token URL the assertion is posted to.
// Errors: InvalidArgument if the key is not a usable RSA private key,
// Internal if signing fails.
Result<std::string> MakeJwtAssertion(const ServiceAccountKey& key,
                                     const std::string& scope,
                                     const std::string& audience,
                                     const std::string& subject, int64_t now_s);

}  // namespace gdmount::auth
