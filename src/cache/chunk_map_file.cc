#include "cache/chunk_map_file.h"

#include <charconv>
#include <map>

#include "util/encoding.h"

namespace gdmount::cache {
namespace {

constexpr std::string_view kMagic = "gdmount-cache-map";
constexpr std::string_view kFormatVersion = "1";

Status CorruptMap(const std::string& why) {
  return Status(StatusCode::kCorruption, "bad cache map: " + why);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]);
    int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bool ParseInt(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "key=value" lines into a map; false on a line without '=' or a repeat.
bool SplitLines(std::string_view text,
                std::map<std::string, std::string>* fields) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? "" : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return false;
    std::string key(line.substr(0, eq));
    if (!fields->emplace(key, std::string(line.substr(eq + 1))).second) {
      return false;
    }
  }
  return true;
}

std::string EncodeBitmap(const std::vector<bool>& bits) {
  std::string bytes((bits.size() + 7) / 8, '\0');
  for (size_t i = 0; i < bits.size(); ++i) {
    if (bits[i])
      bytes[i / 8] = static_cast<char>(bytes[i / 8] | (1 << (i % 8)));
  }
  return util::HexEncode(bytes);
}

bool DecodeBitmap(std::string_view hex, int64_t count,
                  std::vector<bool>* bits) {
  std::string bytes;
  if (!HexDecode(hex, &bytes)) return false;
  if (static_cast<int64_t>(bytes.size()) != (count + 7) / 8) return false;
  bits->assign(static_cast<size_t>(count), false);
  for (size_t i = 0; i < bytes.size() * 8; ++i) {
    bool set = (static_cast<unsigned char>(bytes[i / 8]) >> (i % 8)) & 1;
    if (!set) continue;
    if (static_cast<int64_t>(i) >= count) return false;  // past the end
    (*bits)[i] = true;
  }
  return true;
}

}  // namespace

int64_t ChunkCount(int64_t size, int64_t chunk_size) {
  return size / chunk_size + (size % chunk_size != 0 ? 1 : 0);
}

std::string EncodeChunkMap(const ChunkMapRecord& r) {
  std::string out;
  out += std::string(kMagic) + "=" + std::string(kFormatVersion) + "\n";
  out += "id=" + util::HexEncode(r.id) + "\n";
  out += "version=" + util::HexEncode(r.version) + "\n";
  out += "md5=" + util::HexEncode(r.md5) + "\n";
  out += "size=" + std::to_string(r.size) + "\n";
  out += "chunk_size=" + std::to_string(r.chunk_size) + "\n";
  out += std::string("verified=") + (r.verified ? "1" : "0") + "\n";
  out += "present=" + EncodeBitmap(r.present) + "\n";
  out += "end=1\n";
  return out;
}

Result<ChunkMapRecord> DecodeChunkMap(std::string_view text) {
  std::map<std::string, std::string> f;
  if (!SplitLines(text, &f)) return CorruptMap("malformed line");
  if (f[std::string(kMagic)] != kFormatVersion) {
    return CorruptMap("unknown format");
  }
  if (f["end"] != "1") return CorruptMap("truncated");
  ChunkMapRecord r;
  if (!HexDecode(f["id"], &r.id) || r.id.empty() ||
      !HexDecode(f["version"], &r.version) || !HexDecode(f["md5"], &r.md5)) {
    return CorruptMap("bad id, version or md5");
  }
  if (!ParseInt(f["size"], &r.size) || r.size < 0 ||
      !ParseInt(f["chunk_size"], &r.chunk_size) || r.chunk_size <= 0) {
    return CorruptMap("bad size or chunk_size");
  }
  const std::string& verified = f["verified"];
  if (verified != "0" && verified != "1") return CorruptMap("bad verified");
  r.verified = verified == "1";
  if (!DecodeBitmap(f["present"], ChunkCount(r.size, r.chunk_size),
                    &r.present)) {
    return CorruptMap("bad present bitmap");
  }
  return r;
}

}  // namespace gdmount::cache
