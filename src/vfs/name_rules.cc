#include "vfs/name_rules.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "gdmount/drive_types.h"
#include "util/encoding.h"

namespace gdmount::vfs {
namespace {

// Replacement code points, UTF-8 encoded.
constexpr std::string_view kDivisionSlash = "\xE2\x88\x95";  // U+2215
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";    // U+FFFD
constexpr std::string_view kOneDotLeader = "\xE2\x80\xA4";   // U+2024
constexpr std::string_view kUntitled = "Untitled";

// A suffix counts as an extension (kept across shortening, and placed after
// the duplicate tag) only if it is short and plain: ".txt", ".tar.gz" -> ".gz"
// but not ".2 final" in "v1.2 final". 15 ASCII alphanumerics cover every
// export extension and real-world ones; the bound also caps how much of
// kMaxNameBytes an extension can take.
constexpr size_t kMaxExtensionChars = 15;
// Duplicates are tagged with this many id characters first; Drive ids are
// ~33 random base64 characters, so 8 (48 bits) practically never collide.
constexpr size_t kDuplicateIdChars = 8;
// Never put more id characters than this in a tag (ids are ~33-44 chars in
// practice), so a tag cannot eat the name budget.
constexpr size_t kMaxDuplicateIdChars = 64;
// Hex digits of SHA-256(id) in the marker of a shortened name (32 bits:
// distinguishes long names sharing a prefix; duplicates rules catch the rest).
constexpr size_t kHashHexChars = 8;

// Drive's export table (protocol guide section 4.3). The native MIME type is
// kGoogleAppsMimePrefix + type.
struct ExportTarget {
  std::string_view type;
  std::string_view extension;
  std::string_view mime_type;
};
constexpr ExportTarget kExportTable[] = {
    {"document", "docx",
     "application/"
     "vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"document", "odt", "application/vnd.oasis.opendocument.text"},
    {"document", "rtf", "application/rtf"},
    {"document", "pdf", "application/pdf"},
    {"document", "txt", "text/plain"},
    {"document", "html", "text/html"},
    {"document", "zip", "application/zip"},
    {"document", "epub", "application/epub+zip"},
    {"document", "md", "text/markdown"},
    {"spreadsheet", "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"spreadsheet", "ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"spreadsheet", "pdf", "application/pdf"},
    {"spreadsheet", "zip", "application/zip"},
    {"spreadsheet", "csv", "text/csv"},
    {"spreadsheet", "tsv", "text/tab-separated-values"},
    {"presentation", "pptx",
     "application/"
     "vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"presentation", "odp", "application/vnd.oasis.opendocument.presentation"},
    {"presentation", "pdf", "application/pdf"},
    {"presentation", "txt", "text/plain"},
    {"presentation", "jpg", "image/jpeg"},
    {"presentation", "png", "image/png"},
    {"presentation", "svg", "image/svg+xml"},
    {"drawing", "pdf", "application/pdf"},
    {"drawing", "jpg", "image/jpeg"},
    {"drawing", "png", "image/png"},
    {"drawing", "svg", "image/svg+xml"},
    {"script", "json", "application/vnd.google-apps.script+json"},
};
constexpr std::string_view kExportableTypes =
    "document, spreadsheet, presentation, drawing, script";

std::string NativeMime(std::string_view type) {
  return std::string(drive::kGoogleAppsMimePrefix) + std::string(type);
}

const ExportTarget* FindTarget(std::string_view type, std::string_view ext) {
  for (const ExportTarget& t : kExportTable) {
    if (t.type == type && (t.extension == ext || t.mime_type == ext)) return &t;
  }
  return nullptr;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         AsciiLower(s.substr(s.size() - suffix.size())) == AsciiLower(suffix);
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF), 0 if malformed. Stores the code
// point in *cp.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    *cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    *cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    *cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char c = b(k);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
    *cp = (*cp << 6) | (c & 0x3F);
  }
  return len;
}

// Rule 1 minus the "Untitled" and dot-name cases: the result is valid UTF-8
// without '/', C0/C1 control characters or DEL.
std::string Sanitize(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(name, i, &cp);
    if (len == 0) {  // one replacement per malformed byte
      out += kReplacement;
      ++i;
      continue;
    }
    if (cp == '/') {
      out += kDivisionSlash;
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      out += kReplacement;
    } else {
      out.append(name.substr(i, len));
    }
    i += len;
  }
  return out;
}

// The longest prefix of valid UTF-8 `s` with at most `max_bytes` bytes that
// ends on a code point boundary.
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

// A display name before duplicate handling, split for tag insertion.
struct Parts {
  std::string stem;
  std::string ext;  // "" or "." + 1..kMaxExtensionChars ASCII alphanumerics
};

Parts SplitExtension(std::string name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return {std::move(name), ""};
  const size_t chars = name.size() - dot - 1;
  if (chars == 0 || chars > kMaxExtensionChars) return {std::move(name), ""};
  for (size_t i = dot + 1; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                       (c >= 'A' && c <= 'Z');
    if (!alnum) return {std::move(name), ""};
  }
  std::string ext = name.substr(dot);
  name.resize(dot);
  return {std::move(name), std::move(ext)};
}

// stem + tag + ext, shortened to kMaxNameBytes (rule 3) if needed. The
// marker is added only when stem bytes are dropped, so short names stay as
// the user typed them.
std::string Compose(const Parts& p, std::string_view tag, std::string_view id) {
  if (p.stem.size() + tag.size() + p.ext.size() <= kMaxNameBytes) {
    return p.stem + std::string(tag) + p.ext;
  }
  const std::string marker =
      "~" + util::HexEncode(util::Sha256(id)).substr(0, kHashHexChars);
  // fixed <= 9 + (kMaxDuplicateIdChars + ~24) + 16, far below the limit.
  const size_t fixed = marker.size() + tag.size() + p.ext.size();
  const size_t budget = fixed < kMaxNameBytes ? kMaxNameBytes - fixed : 0;
  std::string out(TruncateUtf8(p.stem, budget));
  out += marker;
  out += tag;
  out += p.ext;
  return out;
}

// Rules 1 and 2 for a visible child.
Parts BaseParts(const NameInput& child, const ExportFormat* export_format) {
  std::string name = Sanitize(child.name);
  if (name.empty()) {
    name = kUntitled;
  } else if (name == ".") {
    name = kOneDotLeader;
  } else if (name == "..") {
    name = std::string(kOneDotLeader) + std::string(kOneDotLeader);
  }
  if (export_format != nullptr) {
    const std::string ext = "." + export_format->extension;
    // A non-empty stem is required: a Doc named ".docx" becomes
    // ".docx.docx", not a dot-file without a stem.
    if (name.size() <= ext.size() || !EndsWithIgnoreCase(name, ext)) {
      name += ext;
    }
  }
  return SplitExtension(std::move(name));
}

bool IsHidden(const NameInput& child, const ExportMap& exports) {
  const std::string_view mime = child.mime_type;
  const std::string_view prefix = drive::kGoogleAppsMimePrefix;
  if (mime.substr(0, prefix.size()) != prefix) return false;
  if (mime == drive::kFolderMime || mime == drive::kShortcutMime) return false;
  return exports.find(child.mime_type) == exports.end();
}

// Rule 4 for one non-oldest twin: the first tag whose name is free. The
// counter fallback only runs for ids too short or shared to disambiguate.
std::string TaggedName(const Parts& p, std::string_view id,
                       const std::unordered_set<std::string>& taken) {
  const size_t max_chars = std::min(id.size(), kMaxDuplicateIdChars);
  const size_t first = std::min(kDuplicateIdChars, max_chars);
  for (size_t k = first; k <= max_chars; ++k) {
    std::string name =
        Compose(p, " (" + std::string(id.substr(0, k)) + ")", id);
    if (taken.count(name) == 0) return name;
  }
  for (int n = 2;; ++n) {
    const std::string tag = " (" + std::string(id.substr(0, max_chars)) + "-" +
                            std::to_string(n) + ")";
    std::string name = Compose(p, tag, id);
    if (taken.count(name) == 0) return name;
  }
}

// "ext1, ext2, ..." that `type` exports to; "" for an unknown type.
std::string AcceptedExtensions(std::string_view type) {
  std::string accepted;
  for (const ExportTarget& t : kExportTable) {
    if (t.type != type) continue;
    if (!accepted.empty()) accepted += ", ";
    accepted += t.extension;
  }
  return accepted;
}

// One TYPE=FORMAT entry of ParseExportMap(), applied to *map.
Status ParseEntry(std::string_view entry, ExportMap* map,
                  std::unordered_set<std::string>* seen) {
  if (entry.empty()) {
    return InvalidArgumentError(
        "export map has an empty entry; expected TYPE=FORMAT[,TYPE=FORMAT...]");
  }
  const std::string quoted = "export map entry '" + std::string(entry) + "'";
  const size_t eq = entry.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgumentError(quoted +
                                ": expected TYPE=FORMAT, e.g. document=pdf");
  }
  std::string type = AsciiLower(Trim(entry.substr(0, eq)));
  const std::string format = AsciiLower(Trim(entry.substr(eq + 1)));
  const std::string_view prefix = drive::kGoogleAppsMimePrefix;
  if (type.compare(0, prefix.size(), prefix) == 0) {
    type.erase(0, prefix.size());
  }
  const std::string accepted = AcceptedExtensions(type);
  if (accepted.empty()) {
    return InvalidArgumentError(
        quoted + ": unknown or non-exportable Google type; expected one of: " +
        std::string(kExportableTypes));
  }
  if (!seen->insert(type).second) {
    return InvalidArgumentError(quoted + ": type '" + type +
                                "' is named twice");
  }
  const ExportTarget* t = FindTarget(type, format);
  if (t == nullptr) {
    return InvalidArgumentError(
        quoted + ": " + type + " cannot be exported as '" + format +
        "'; expected one of: " + accepted + " (or their MIME types)");
  }
  (*map)[NativeMime(type)] =
      ExportFormat{std::string(t->mime_type), std::string(t->extension)};
  return Status::Ok();
}

}  // namespace

const ExportMap& DefaultExportMap() {
  static const ExportMap* const kDefault = [] {
    auto* map = new ExportMap;
    for (auto [type, ext] :
         {std::pair<std::string_view, std::string_view>{"document", "docx"},
          {"spreadsheet", "xlsx"},
          {"presentation", "pptx"},
          {"drawing", "png"}}) {
      const ExportTarget* t = FindTarget(type, ext);
      (*map)[NativeMime(type)] =
          ExportFormat{std::string(t->mime_type), std::string(t->extension)};
    }
    return map;
  }();
  return *kDefault;
}

Result<ExportMap> ParseExportMap(std::string_view spec) {
  ExportMap map = DefaultExportMap();
  if (Trim(spec).empty()) return map;
  std::unordered_set<std::string> seen;
  while (true) {
    const size_t comma = spec.find(',');
    Status s = ParseEntry(Trim(spec.substr(0, comma)), &map, &seen);
    if (!s.ok()) return s;
    if (comma == std::string_view::npos) return map;
    spec.remove_prefix(comma + 1);
  }
}

std::vector<std::string> DisplayNames(const std::vector<NameInput>& children,
                                      const ExportMap& exports) {
  const size_t n = children.size();
  std::vector<std::string> names(n);
  std::vector<Parts> parts(n);
  std::vector<size_t> order;  // visible children, oldest first
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const NameInput& c = children[i];
    if (IsHidden(c, exports)) continue;
    const auto it = exports.find(c.mime_type);
    parts[i] = BaseParts(c, it == exports.end() ? nullptr : &it->second);
    names[i] = Compose(parts[i], "", c.id);
    order.push_back(i);
  }
  // Age order makes the result independent of input order; the name and
  // index only break ties between (invalid) same-id inputs.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const NameInput& x = children[a];
    const NameInput& y = children[b];
    return std::tie(x.created_ms, x.id, names[a], a) <
           std::tie(y.created_ms, y.id, names[b], b);
  });
  // First pass: the oldest holder of each name keeps it. All kept names are
  // reserved before any twin is tagged, so a tag never takes a real name.
  std::unordered_set<std::string> taken;
  taken.reserve(2 * order.size());
  std::vector<size_t> twins;
  for (size_t i : order) {
    if (!taken.insert(names[i]).second) twins.push_back(i);
  }
  for (size_t i : twins) {
    names[i] = TaggedName(parts[i], children[i].id, taken);
    taken.insert(names[i]);
  }
  return names;
}

}  // namespace gdmount::vfs
