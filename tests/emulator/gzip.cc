#include "tests/emulator/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace gdmount::emulator {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// `gzip` listed as a coding without q=0 (RFC 9110 section 12.5.3).
bool AcceptsGzip(std::string_view header) {
  std::string h = Lower(header);
  size_t start = 0;
  while (start <= h.size()) {
    size_t end = h.find(',', start);
    if (end == std::string::npos) end = h.size();
    std::string item = h.substr(start, end - start);
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    std::string coding = item.substr(0, item.find(';'));
    if (coding == "gzip" || coding == "x-gzip" || coding == "*")
      return item.find(";q=0") == std::string::npos ||
             item.find(";q=0.") != std::string::npos;
    start = end + 1;
  }
  return false;
}

}  // namespace

bool WantsGzip(std::string_view accept_encoding, std::string_view user_agent) {
  return AcceptsGzip(accept_encoding) &&
         Lower(user_agent).find("gzip") != std::string::npos;
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

std::string Gunzip(std::string_view data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK)
    throw std::runtime_error("inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("not a complete gzip");
  return out;
}

}  // namespace gdmount::emulator
