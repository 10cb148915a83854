#include "auth/pkce.h"

#include "util/encoding.h"

namespace gdmount::auth {

Pkce MakePkce(RandomSource& random) {
  Pkce p;
  p.verifier = RandomUnreservedString(random, kPkceVerifierLength);
  p.challenge = PkceS256Challenge(p.verifier);
  return p;
}

std::string PkceS256Challenge(std::string_view verifier) {
  return util::Base64UrlEncode(util::Sha256(verifier));
}

}  // namespace gdmount::auth
