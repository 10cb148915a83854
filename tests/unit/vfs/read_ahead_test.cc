#include "vfs/read_ahead.h"

#include <catch2/catch.hpp>

namespace gdmount::vfs {
namespace {

constexpr int64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

TEST_CASE("A streak from offset 0 starts small and doubles to the cap",
          "[unit][vfs]") {
  ReadAhead ra;
  auto d = ra.OnRead(0, 128 * KiB, GiB);
  CHECK(d.sequential);
  CHECK(d.ahead_offset == 128 * KiB);
  CHECK(d.ahead_length == MiB);
  int64_t requested_end = d.ahead_offset + d.ahead_length;
  int64_t last_window = ra.window();
  int doublings = 0;
  for (int64_t off = 128 * KiB; off < 512 * MiB; off += 128 * KiB) {
    d = ra.OnRead(off, 128 * KiB, GiB);
    REQUIRE(d.sequential);
    if (d.ahead_length == 0) continue;
    // Contiguous with what was asked before: nothing twice, no gap.
    CHECK(d.ahead_offset == requested_end);
    requested_end = d.ahead_offset + d.ahead_length;
    CHECK(requested_end - (off + 128 * KiB) == ra.window());
    if (ra.window() > last_window) ++doublings;
    last_window = ra.window();
  }
  CHECK(ra.window() == 64 * MiB);
  CHECK(doublings == 6);  // 1 -> 2 -> 4 -> 8 -> 16 -> 32 -> 64 MiB
}

TEST_CASE("The window never runs past the end of the file", "[unit][vfs]") {
  ReadAhead ra;
  auto d = ra.OnRead(0, 4096, 600 * KiB);
  CHECK(d.ahead_offset + d.ahead_length == 600 * KiB);
  for (int64_t off = 4096; off < 600 * KiB; off += 4096) {
    d = ra.OnRead(off, 4096, 600 * KiB);
    CHECK(d.ahead_length == 0);
  }
}

TEST_CASE("Slightly out-of-order reads stay sequential, a seek resets",
          "[unit][vfs]") {
  ReadAhead ra;
  for (int64_t off = 0; off < 16 * MiB; off += 128 * KiB)
    REQUIRE(ra.OnRead(off, 128 * KiB, GiB).sequential);
  int64_t window = ra.window();
  REQUIRE(window > MiB);
  // The kernel delivers two requests swapped: still the same streak.
  CHECK(ra.OnRead(16 * MiB + 128 * KiB, 128 * KiB, GiB).sequential);
  CHECK(ra.OnRead(16 * MiB, 128 * KiB, GiB).sequential);
  CHECK(ra.window() >= window);
  // A real seek: random access, nothing fetched ahead, window gone.
  auto seek = ra.OnRead(700 * MiB, 4096, GiB);
  CHECK_FALSE(seek.sequential);
  CHECK(seek.ahead_length == 0);
  CHECK(ra.window() == 0);
  // Reading on from there starts a new, small streak.
  auto again = ra.OnRead(700 * MiB + 4096, 4096, GiB);
  CHECK(again.sequential);
  CHECK(again.ahead_length == MiB);
}

TEST_CASE("A first read away from offset 0 is random access", "[unit][vfs]") {
  ReadAhead ra;
  CHECK_FALSE(ra.OnRead(300 * MiB, 128 * KiB, GiB).sequential);
  CHECK_FALSE(ra.OnRead(5 * MiB, 128 * KiB, GiB).sequential);
  CHECK_FALSE(ra.OnRead(900 * MiB, 128 * KiB, GiB).sequential);
}

TEST_CASE("Options set the first window, the cap and the tolerance",
          "[unit][vfs]") {
  ReadAheadOptions o;
  o.initial = 256 * KiB;
  o.max = 2 * MiB;
  o.tolerance = 0;
  ReadAhead ra(o);
  CHECK(ra.OnRead(0, 4096, GiB).ahead_length == 256 * KiB);
  for (int64_t off = 4096; off < 64 * MiB; off += 4096)
    REQUIRE(ra.OnRead(off, 4096, GiB).sequential);
  CHECK(ra.window() == 2 * MiB);
  // With no tolerance, a read one page back is a seek.
  CHECK_FALSE(ra.OnRead(64 * MiB - 8192, 4096, GiB).sequential);
}

TEST_CASE("A zero cap turns read-ahead off but keeps detection",
          "[unit][vfs]") {
  ReadAheadOptions o;
  o.max = 0;
  ReadAhead ra(o);
  for (int64_t off = 0; off < 32 * MiB; off += 128 * KiB) {
    auto d = ra.OnRead(off, 128 * KiB, GiB);
    CHECK(d.sequential);
    CHECK(d.ahead_length == 0);
  }
}

}  // namespace
}  // namespace gdmount::vfs
