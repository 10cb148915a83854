// JSON renderings of the emulator's resources, in Drive v3's wire format:
// int64 as strings, RFC 3339 times, `kind` on every resource, and only the
// fields that apply to the item (no md5Checksum on a folder).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/emulator/fields.h"
#include "tests/emulator/json_text.h"
#include "tests/emulator/model.h"
#include "tests/emulator/store.h"

namespace gdmount::emulator {

struct RenderContext {
  std::string user_email;
  std::string user_name;
  bool native_files_have_size = true;
};

// The File resource: every field the emulator models, or only those `only`
// selects (at the top level, and within capabilities; the caller still
// applies the full mask).
nlohmann::json RenderFile(const FileRecord& f, const RenderContext& ctx,
                          const FieldMask* only = nullptr);
// RenderFile(f, ctx, &mask) trimmed by `mask` (FieldMask::Apply), written
// as text: the same bytes as dumping that tree, at a fraction of the cost.
void WriteFile(const FileRecord& f, const RenderContext& ctx,
               const FieldMask& mask, JsonText* out);
// RenderFile's members one by one (each key at most once, in no particular
// order), for renderers that do not build the whole object.
using FileMemberFn = std::function<void(const char* key, nlohmann::json)>;
void ForEachFileMember(const FileRecord& f, const RenderContext& ctx,
                       const FieldMask* only, const FileMemberFn& emit);
// Drive's default file fields when a request has no `fields`.
const FieldMask& DefaultFileMask();

// The emulated user; RenderOwner: the owner of f (the user or another one).
nlohmann::json RenderUser(const RenderContext& ctx);
nlohmann::json RenderOwner(const FileRecord& f, const RenderContext& ctx);
nlohmann::json RenderDrive(const SharedDrive& d);

// Google-native export formats (about.exportFormats), source -> targets.
const std::map<std::string, std::vector<std::string>>& ExportFormats();
// Deterministic synthetic export of a native document.
std::string RenderExport(const FileRecord& f, const std::string& target_mime);

}  // namespace gdmount::emulator
