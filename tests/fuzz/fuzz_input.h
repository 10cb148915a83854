// FuzzInput: splits one fuzzer input into the values a target needs
// (a selector byte, small integers, strings), deterministically, so a saved
// input replays exactly. Reading past the end yields zeros and empty
// strings; nothing here can fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gdmount/log.h"

namespace gdmount::fuzz {

// Targets whose code retries log a warning per retry; thousands of runs
// would drown the output. Call first thing in LLVMFuzzerTestOneInput.
inline void QuietLogs() {
  static const bool once = (log::SetLevel(log::Level::kError), true);
  (void)once;
}

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  bool empty() const { return pos_ >= size_; }

  uint8_t Byte() {
    return pos_ < size_ ? static_cast<uint8_t>(data_[pos_++]) : 0;
  }

  // A value in [0, n) (n > 0).
  uint32_t Below(uint32_t n) {
    uint32_t v = Byte();
    v = (v << 8) | Byte();
    return v % n;
  }

  // A string of at most `max` bytes: one length byte (scaled when max > 255)
  // then the bytes.
  std::string String(size_t max) {
    size_t want = Byte();
    if (max > 255) want = want * (max / 255);
    if (want > max) want = max;
    if (want > size_ - pos_) want = size_ - pos_;
    std::string s(data_ + pos_, want);
    pos_ += want;
    return s;
  }

  // Everything not consumed yet.
  std::string_view Rest() {
    std::string_view r(data_ + pos_, size_ - pos_);
    pos_ = size_;
    return r;
  }

 private:
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

// A broken invariant: print it and abort, so libFuzzer (or the replay
// driver, under ctest) saves and reports the input.
[[noreturn]] inline void Fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz invariant broken: %s %.*s\n", what,
               static_cast<int>(detail.size() > 200 ? 200 : detail.size()),
               detail.data());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                         \
  do {                                                   \
    if (!(cond)) ::gdmount::fuzz::Fail(#cond, (detail)); \
  } while (0)

}  // namespace gdmount::fuzz
