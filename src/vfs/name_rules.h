// Name rules: how the Drive names of one folder's children become POSIX
// directory entries (DESIGN.md section 2, protocol guide section 11,
// user-facing description in docs/SEMANTICS.md).
//
// Drive names may contain '/', control characters, "." and "..", may be
// longer than NAME_MAX, and may repeat within one folder; Google-native files
// (Docs, Sheets, ...) have no content of their own, only exports. The rules,
// applied in this order to every child of ONE folder:
//   1. sanitise: '/' -> U+2215, control characters and invalid UTF-8 bytes ->
//      U+FFFD, "" -> "Untitled", exactly "." / ".." -> U+2024 / U+2024 U+2024;
//   2. native files with an export format get ".<ext>" appended unless the
//      name already ends with it (ASCII case-insensitively); native files
//      without one are hidden (empty display name);
//   3. names over kMaxNameBytes keep their extension and lose stem bytes at a
//      code point boundary; "~<8 hex of SHA-256(id)>" goes before the
//      extension, so two long names sharing a prefix stay distinct;
//   4. equal results (byte-exact): the oldest (created_ms, then id) keeps
//      the name, each other gets " (<first 8 id chars>)" before the
//      extension, lengthened one id character at a time while it collides.
//
// Invariants of DisplayNames(): visible names are non-empty, distinct, valid
// UTF-8, at most kMaxNameBytes bytes, never "." or "..", contain no '/' or
// NUL; the result depends only on the set of inputs, not their order; a
// duplicate's name depends only on its own id, name and the oldest twin
// (plus, rarely, on a sibling whose real name equals the candidate).
//
// Everything here is pure (no I/O, no clock) and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::vfs {

// Linux NAME_MAX: the longest directory entry name, in bytes.
inline constexpr size_t kMaxNameBytes = 255;

// One child of a folder as the name rules see it (a projection of
// drive::DriveFile). `id` is the Drive file id, unique within the folder.
struct NameInput {
  std::string id;
  std::string name;       // Drive name, as stored (UTF-8, may be anything)
  std::string mime_type;  // Drive MIME type
  int64_t created_ms = 0;
};

// What a native Google file is exported to: the MIME type to ask
// files.export for and the extension its display name carries.
struct ExportFormat {
  std::string mime_type;  // e.g. "application/pdf"
  std::string extension;  // without the dot, e.g. "pdf"
};

inline bool operator==(const ExportFormat& a, const ExportFormat& b) {
  return a.mime_type == b.mime_type && a.extension == b.extension;
}
inline bool operator!=(const ExportFormat& a, const ExportFormat& b) {
  return !(a == b);
}

// Native MIME type ("application/vnd.google-apps.document") -> export format.
// A native type missing from the map is hidden.
using ExportMap = std::map<std::string, ExportFormat>;

// document -> docx, spreadsheet -> xlsx, presentation -> pptx,
// drawing -> png. Everything else native (forms, sites, maps, scripts, vids,
// ...) is hidden. A static object; never destroyed.
const ExportMap& DefaultExportMap();

// Parses overrides of the default map: comma-separated TYPE=FORMAT entries,
// e.g. "document=pdf,spreadsheet=csv". TYPE is a short name (document,
// spreadsheet, presentation, drawing, script) or the full native MIME type;
// FORMAT is an extension or export MIME type from Drive's export table
// (protocol guide section 4.3), case-insensitive; whitespace around entries
// is ignored. Types not named keep their default. An empty spec yields the
// defaults.
// Returns InvalidArgument (naming the entry and the accepted values) for an
// entry without '=', an empty entry, an unknown or non-exportable type, a
// format that type cannot be exported to, or a type named twice.
Result<ExportMap> ParseExportMap(std::string_view spec);

// Display names for the children of ONE folder, in the order of `children`.
// Hidden children (native types without an entry in `exports`) get "".
// Folders and shortcuts are named like regular files (no extension).
// REQUIRES: ids are distinct (if not, names are still distinct, but which
// of two same-id children gets which name is unspecified).
// Cost: O(n) expected, plus one SHA-256 per over-long name.
std::vector<std::string> DisplayNames(const std::vector<NameInput>& children,
                                      const ExportMap& exports);

}  // namespace gdmount::vfs
