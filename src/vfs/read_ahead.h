// ReadAhead: per open file, tells sequential reading from random access and
// says how far ahead of a sequential reader to fetch.
//
// Design note. A streak starts with a read at offset 0, or with a read that
// continues the previous one. Reads within `tolerance` bytes of the end of
// the streak so far (before or after it) continue it: the kernel's
// read-ahead and a multi-threaded FUSE loop deliver a sequential reader's
// requests slightly out of order, and that must not look like a seek. Any
// other read is a seek: the streak ends and the window shrinks back.
// Within a streak the window (bytes kept in flight past the reader) starts
// at `initial` (small: the first part is fetched alone, fast) and doubles
// each time the reader has consumed half of what was requested ahead, up to
// `max`; only then is more requested (the part of the new window not
// requested before), so most reads ask for nothing and nothing is asked
// twice.
//
// Pure logic, no I/O. Thread-compatible: one object per open handle, used
// under that handle's lock.
#pragma once

#include <cstdint>

namespace gdmount::vfs {

struct ReadAheadOptions {
  int64_t initial = 1 << 20;    // first window: 1 MiB
  int64_t max = 64 << 20;       // window cap; 0: no read-ahead
  int64_t tolerance = 1 << 20;  // reorder accepted as still sequential
};

struct ReadAheadDecision {
  bool sequential = false;
  // Fetch [ahead_offset, ahead_offset + ahead_length) in the background;
  // ahead_length 0: nothing new to fetch.
  int64_t ahead_offset = 0;
  int64_t ahead_length = 0;
};

class ReadAhead {
 public:
  explicit ReadAhead(ReadAheadOptions options = {}) : options_(options) {}

  // Called for each read of [offset, offset + size) of a file of
  // `file_size` bytes.
  ReadAheadDecision OnRead(int64_t offset, int64_t size, int64_t file_size);

  int64_t window() const { return window_; }

 private:
  const ReadAheadOptions options_;
  bool started_ = false;
  bool in_streak_ = false;
  int64_t streak_end_ = 0;  // furthest byte read in the current streak
  int64_t window_ = 0;      // 0 outside a streak
  int64_t ahead_end_ = 0;   // everything below was requested already
};

}  // namespace gdmount::vfs
