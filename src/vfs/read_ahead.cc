#include "vfs/read_ahead.h"

#include <algorithm>

namespace gdmount::vfs {

ReadAheadDecision ReadAhead::OnRead(int64_t offset, int64_t size,
                                    int64_t file_size) {
  ReadAheadDecision d;
  const int64_t end = offset + std::max<int64_t>(size, 0);
  bool continues = started_ ? offset >= streak_end_ - options_.tolerance &&
                                  offset <= streak_end_ + options_.tolerance
                            : offset == 0;
  started_ = true;
  if (!continues) {  // a seek: random until reads line up again
    in_streak_ = false;
    window_ = 0;
    ahead_end_ = 0;
    streak_end_ = end;
    return d;
  }
  d.sequential = true;
  streak_end_ = std::max(streak_end_, end);
  if (!in_streak_) {
    in_streak_ = true;
    window_ = std::min(options_.initial, options_.max);
    ahead_end_ = streak_end_;
  } else if (streak_end_ >= ahead_end_ - window_ / 2) {
    window_ = std::min(options_.max, window_ * 2);  // the reader caught up
  } else {
    return d;  // still well inside what was requested
  }
  const int64_t target = std::min(file_size, streak_end_ + window_);
  const int64_t from = std::max(ahead_end_, streak_end_);
  if (target > from) {
    d.ahead_offset = from;
    d.ahead_length = target - from;
    ahead_end_ = target;
  }
  return d;
}

}  // namespace gdmount::vfs
