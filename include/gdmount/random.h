// Randomness seam. Backoff jitter takes a RandomSource so unit tests can use
// a seeded one and assert exact sequences; secrets (PKCE verifiers, OAuth
// `state`) always come from SecureRandom().
//
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace gdmount {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // 64 uniformly distributed random bits.
  virtual uint64_t Next64() = 0;

  // Uniform in [0, 1).
  double Uniform01() { return static_cast<double>(Next64() >> 11) * 0x1.0p-53; }
};

// OpenSSL's CSPRNG (RAND_bytes). Never null. Aborts if the CSPRNG fails,
// because continuing with predictable secrets would be worse.
RandomSource* SecureRandom();

// A deterministic generator (std::mt19937_64) for tests and jitter.
std::unique_ptr<RandomSource> MakeSeededRandom(uint64_t seed);

// `n` characters drawn uniformly from [A-Za-z0-9-._~] (RFC 7636 unreserved
// set): PKCE verifiers, OAuth state.
std::string RandomUnreservedString(RandomSource& random, size_t n);

}  // namespace gdmount
