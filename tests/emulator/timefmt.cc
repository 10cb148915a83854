#include "tests/emulator/timefmt.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace gdmount::emulator {
namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's
// algorithm: no timegm(), no locale, no TZ environment.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  time_t t = static_cast<time_t>(secs);
  tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' ||
      !Digits(s, 5, 2, &mo) || s[7] != '-' || !Digits(s, 8, 2, &d))
    return std::nullopt;
  size_t p = 10;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    if (!Digits(s, p + 1, 2, &h) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !Digits(s, p + 4, 2, &mi))
      return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, &sec)) return std::nullopt;
      p += 3;
    }
  }
  int64_t millis = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int scale = 100, digits = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      if (digits++ < 3) millis += (s[p] - '0') * scale, scale /= 10;
      ++p;
    }
    if (digits == 0) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (p < s.size()) {
    if (s[p] == 'Z' || s[p] == 'z') {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      int oh, om;
      if (!Digits(s, p + 1, 2, &oh) || p + 3 >= s.size() || s[p + 3] != ':' ||
          !Digits(s, p + 4, 2, &om))
        return std::nullopt;
      offset_min = (oh * 60 + om) * (s[p] == '-' ? -1 : 1);
      p += 6;
    }
  }
  if (p != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || sec > 60)
    return std::nullopt;
  int64_t days = DaysFromCivil(y, mo, d);
  int64_t total_s = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return total_s * 1000 + millis;
}

}  // namespace gdmount::emulator
