// PKCE (RFC 7636) for the installed-app flow: a one-time secret verifier
// and its S256 challenge. The challenge goes into the authorization URL; the
// verifier goes only to the token endpoint, so an intercepted code is
// useless without it. The verifier is a secret: never log it.
//
// Thread safety: thread-safe (the RandomSource must be).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "gdmount/random.h"

namespace gdmount::auth {

// Within RFC 7636's 43..128; 64 characters of a 66-letter alphabet carry
// ~386 bits, far above the RFC's 256-bit recommendation.
inline constexpr size_t kPkceVerifierLength = 64;

struct Pkce {
  std::string verifier;   // secret, [A-Za-z0-9-._~]{64}
  std::string challenge;  // BASE64URL(SHA256(verifier)), 43 characters
};

// A fresh verifier from `random` (use SecureRandom() outside tests) and its
// S256 challenge.
Pkce MakePkce(RandomSource& random);

// BASE64URL(SHA256(ASCII(verifier))), unpadded.
std::string PkceS256Challenge(std::string_view verifier);

}  // namespace gdmount::auth
