#include "gdmount/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>

namespace gdmount {
namespace {

class SecureRandomImpl : public RandomSource {
 public:
  uint64_t Next64() override {
    uint64_t v = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
      std::fprintf(stderr, "gdmount: OpenSSL RAND_bytes failed\n");
      std::abort();
    }
    return v;
  }
};

class SeededRandom : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t Next64() override {
    std::lock_guard<std::mutex> lock(mu_);
    return engine_();
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;  // GUARDED_BY(mu_)
};

}  // namespace

RandomSource* SecureRandom() {
  static SecureRandomImpl* random = new SecureRandomImpl();
  return random;
}

std::unique_ptr<RandomSource> MakeSeededRandom(uint64_t seed) {
  return std::make_unique<SeededRandom>(seed);
}

std::string RandomUnreservedString(RandomSource& random, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  constexpr uint64_t kSize = sizeof(kAlphabet) - 1;  // 66
  // Rejection sampling keeps the distribution uniform.
  constexpr uint64_t kLimit = UINT64_MAX - UINT64_MAX % kSize;
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    uint64_t v = random.Next64();
    if (v >= kLimit) continue;
    out.push_back(kAlphabet[v % kSize]);
  }
  return out;
}

}  // namespace gdmount
