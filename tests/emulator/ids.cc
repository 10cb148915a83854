#include "tests/emulator/ids.h"

#include <random>

namespace gdmount::emulator {

std::string RandomUrlSafe(size_t length) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::string s;
  s.reserve(length);
  for (size_t i = 0; i < length; ++i) s.push_back(kAlphabet[rng() % 64]);
  return s;
}

}  // namespace gdmount::emulator
