#include "tests/emulator/render.h"

#include <algorithm>

#include "tests/emulator/blob.h"
#include "tests/emulator/timefmt.h"

namespace gdmount::emulator {
namespace {

const std::map<std::string, std::string>& ExtensionFor() {
  static const std::map<std::string, std::string> kExt = {
      {"application/"
       "vnd.openxmlformats-officedocument.wordprocessingml.document",
       "docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       "xlsx"},
      {"application/"
       "vnd.openxmlformats-officedocument.presentationml.presentation",
       "pptx"},
      {"application/vnd.oasis.opendocument.text", "odt"},
      {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
      {"application/vnd.oasis.opendocument.presentation", "odp"},
      {"application/pdf", "pdf"},
      {"application/rtf", "rtf"},
      {"text/plain", "txt"},
      {"text/html", "html"},
      {"text/csv", "csv"},
      {"text/tab-separated-values", "tsv"},
      {"text/markdown", "md"},
      {"application/zip", "zip"},
      {"application/epub+zip", "epub"},
      {"image/jpeg", "jpeg"},
      {"image/png", "png"},
      {"image/svg+xml", "svg"},
      {"application/vnd.google-apps.script+json", "json"}};
  return kExt;
}

// More than RenderFile ever emits for one file (it has ~50 fields).
constexpr size_t kFileMembersMax = 64;

std::string WebViewLink(const FileRecord& f) {
  if (f.is_folder()) return "https://drive.google.com/drive/folders/" + f.id;
  const std::string& m = f.mime_type;
  if (m == "application/vnd.google-apps.document")
    return "https://docs.google.com/document/d/" + f.id + "/edit?usp=drivesdk";
  if (m == "application/vnd.google-apps.spreadsheet")
    return "https://docs.google.com/spreadsheets/d/" + f.id +
           "/edit?usp=drivesdk";
  if (m == "application/vnd.google-apps.presentation")
    return "https://docs.google.com/presentation/d/" + f.id +
           "/edit?usp=drivesdk";
  return "https://drive.google.com/file/d/" + f.id + "/view?usp=drivesdk";
}

// Only the capabilities `only` selects (all without a mask): listings ask
// for a few of the sixteen, for every file.
nlohmann::json Capabilities(const FileRecord& f, const FieldMask* only) {
  bool rw = !f.read_only;
  bool blob = !f.is_folder() && !f.is_shortcut() && !f.is_native();
  bool in_drive = !f.drive_id.empty();
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* k, bool value) {
    if (!only || only->Selects("capabilities", k)) j[k] = value;
  };
  put("canAddChildren", f.is_folder() && rw);
  put("canChangeViewersCanCopyContent", rw);
  put("canComment", true);
  put("canCopy", !f.is_folder());
  put("canDelete", rw && !in_drive);
  put("canDownload", true);
  put("canEdit", rw);
  put("canListChildren", f.is_folder());
  put("canModifyContent", rw && !f.is_folder());
  put("canMoveItemWithinDrive", rw);
  put("canReadRevisions", blob || f.is_native());
  put("canRemoveChildren", f.is_folder() && rw);
  put("canRename", rw);
  put("canShare", rw);
  put("canTrash", rw);
  put("canUntrash", rw);
  return j;
}

std::string Extension(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size()) return "";
  return name.substr(dot + 1);
}

// A drive#user; the emulator models one other user, so two permission ids.
nlohmann::json User(const std::string& name, const std::string& email,
                    bool me) {
  return {
      {"kind", "drive#user"},
      {"displayName", name},
      {"emailAddress", email},
      {"me", me},
      {"permissionId", me ? "00000000000000000001" : "00000000000000000002"},
      {"photoLink", ""}};
}

}  // namespace

nlohmann::json RenderUser(const RenderContext& ctx) {
  return User(ctx.user_name, ctx.user_email, /*me=*/true);
}

nlohmann::json RenderOwner(const FileRecord& f, const RenderContext& ctx) {
  if (!f.owned_by_other()) return RenderUser(ctx);
  return User(f.owner_name, f.owner_email, /*me=*/false);
}

void ForEachFileMember(const FileRecord& f, const RenderContext& ctx,
                       const FieldMask* only, const FileMemberFn& emit) {
  // Only the selected fields are built: a 1000-file page with a narrow mask
  // must not pay for 40 fields per file.
  auto want = [only](const char* k) { return !only || only->Selects(k); };
  auto put = [&](const char* k, auto&& make) {
    if (want(k)) emit(k, make());
  };
  bool blob = f.content != nullptr;
  bool in_drive = !f.drive_id.empty();
  put("kind", [] { return "drive#file"; });
  put("id", [&] { return f.id; });
  put("name", [&] { return f.name; });
  put("mimeType", [&] { return f.mime_type; });
  put("starred", [&] { return f.starred; });
  put("trashed", [&] { return f.trashed; });
  put("explicitlyTrashed", [&] { return f.explicitly_trashed; });
  put("version", [&] { return std::to_string(f.version); });
  put("createdTime", [&] { return FormatRfc3339(f.created_ms); });
  put("modifiedTime", [&] { return FormatRfc3339(f.modified_ms); });
  put("modifiedByMe",
      [&] { return !f.owned_by_other() || f.modified_by_me_ms != 0; });
  put("viewedByMe", [&] { return f.viewed_by_me_ms != 0; });
  put("spaces", [] { return nlohmann::json::array({"drive"}); });
  put("shared", [&] { return f.owned_by_other(); });
  put("webViewLink", [&] { return WebViewLink(f); });
  put("iconLink", [&] {
    return "https://drive-thirdparty.googleusercontent.com/16/type/" +
           f.mime_type;
  });
  put("hasThumbnail", [] { return false; });
  put("thumbnailVersion", [] { return "0"; });
  put("isAppAuthorized", [] { return false; });
  put("writersCanShare", [] { return true; });
  put("viewersCanCopyContent", [] { return true; });
  put("copyRequiresWriterPermission", [] { return false; });
  put("capabilities", [&] { return Capabilities(f, only); });
  put("lastModifyingUser", [&] { return RenderOwner(f, ctx); });
  put("quotaBytesUsed",
      [&] { return std::to_string(in_drive ? 0 : f.size()); });
  if (!f.parents.empty()) put("parents", [&] { return f.parents; });
  if (!f.description.empty()) put("description", [&] { return f.description; });
  if (f.modified_by_me_ms)
    put("modifiedByMeTime", [&] { return FormatRfc3339(f.modified_by_me_ms); });
  if (f.viewed_by_me_ms)
    put("viewedByMeTime", [&] { return FormatRfc3339(f.viewed_by_me_ms); });
  if (!f.properties.empty()) put("properties", [&] { return f.properties; });
  if (!f.app_properties.empty())
    put("appProperties", [&] { return f.app_properties; });
  if (f.shared_with_me) {
    put("sharedWithMeTime", [&] { return FormatRfc3339(f.shared_with_me_ms); });
    put("sharingUser", [&] { return RenderOwner(f, ctx); });
  }
  if (!in_drive) {
    put("ownedByMe", [&] { return !f.owned_by_other(); });
    put("owners", [&] { return nlohmann::json::array({RenderOwner(f, ctx)}); });
  } else {
    put("driveId", [&] { return f.drive_id; });
    put("teamDriveId", [&] { return f.drive_id; });
    if (f.trashed) {
      put("trashedTime", [&] { return FormatRfc3339(f.trashed_ms); });
      put("trashingUser", [&] { return RenderUser(ctx); });
    }
  }
  if (blob) {
    put("size", [&] { return std::to_string(f.content->size()); });
    put("md5Checksum", [&] { return f.content->digests().md5; });
    put("sha1Checksum", [&] { return f.content->digests().sha1; });
    put("sha256Checksum", [&] { return f.content->digests().sha256; });
    put("headRevisionId", [&] { return f.head_revision_id; });
    put("webContentLink", [&] {
      return "https://drive.google.com/uc?id=" + f.id + "&export=download";
    });
    if (!f.original_filename.empty())
      put("originalFilename", [&] { return f.original_filename; });
    std::string ext = Extension(f.name);
    if (!ext.empty()) {
      put("fileExtension", [&] { return ext; });
      put("fullFileExtension",
          [&] { return f.name.substr(f.name.find('.', 1) + 1); });
    }
  } else if (f.is_native()) {
    if (ctx.native_files_have_size)  // storage size, not an export's size
      put("size", [&] {
        return std::to_string(f.native_text ? f.native_text->size() : 0);
      });
    auto it = ExportFormats().find(f.mime_type);
    if (it != ExportFormats().end())
      put("exportLinks", [&] {
        nlohmann::json links = nlohmann::json::object();
        for (const auto& target : it->second)
          links[target] =
              "https://docs.google.com/feeds/download/export?id=" + f.id +
              "&exportFormat=" + ExtensionFor().at(target);
        return links;
      });
  }
  if (f.is_shortcut())
    put("shortcutDetails", [&] {
      return nlohmann::json{{"targetId", f.shortcut_target_id},
                            {"targetMimeType", f.shortcut_target_mime_type}};
    });
}

nlohmann::json RenderFile(const FileRecord& f, const RenderContext& ctx,
                          const FieldMask* only) {
  nlohmann::json j = nlohmann::json::object();
  ForEachFileMember(f, ctx, only, [&j](const char* key, nlohmann::json value) {
    j[key] = std::move(value);
  });
  return j;
}

void WriteFile(const FileRecord& f, const RenderContext& ctx,
               const FieldMask& mask, JsonText* out) {
  std::vector<std::pair<std::string_view, nlohmann::json>> members;
  members.reserve(kFileMembersMax);
  ForEachFileMember(f, ctx, &mask, [&](const char* key, nlohmann::json value) {
    if (mask.ApplyToMember(key, &value))
      members.emplace_back(key, std::move(value));
  });
  // In the order an nlohmann object (a std::map) would list them.
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out->BeginObject();
  for (const auto& [key, value] : members) {
    out->Key(key);
    out->Value(value);
  }
  out->End();
}

const FieldMask& DefaultFileMask() {
  static const FieldMask kDefault =
      *FieldMask::Parse("kind,id,name,mimeType,resourceKey");
  return kDefault;
}

nlohmann::json RenderDrive(const SharedDrive& d) {
  return {{"kind", "drive#drive"},
          {"id", d.id},
          {"name", d.name},
          {"createdTime", FormatRfc3339(d.created_ms)},
          {"hidden", d.hidden},
          {"capabilities",
           {{"canAddChildren", true},
            {"canEdit", true},
            {"canListChildren", true},
            {"canDeleteChildren", true},
            {"canTrashChildren", true},
            {"canRenameDrive", true}}},
          {"restrictions",
           {{"adminManagedRestrictions", false},
            {"copyRequiresWriterPermission", false},
            {"domainUsersOnly", false},
            {"driveMembersOnly", false}}}};
}

const std::map<std::string, std::vector<std::string>>& ExportFormats() {
  static const std::map<std::string, std::vector<std::string>> kFormats = {
      {"application/vnd.google-apps.document",
       {"application/"
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text", "application/rtf",
        "application/pdf", "text/plain", "text/html", "application/zip",
        "application/epub+zip", "text/markdown"}},
      {"application/vnd.google-apps.spreadsheet",
       {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet", "application/pdf",
        "application/zip", "text/csv", "text/tab-separated-values"}},
      {"application/vnd.google-apps.presentation",
       {"application/"
        "vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.presentation", "application/pdf",
        "text/plain", "image/jpeg", "image/png", "image/svg+xml"}},
      {"application/vnd.google-apps.drawing",
       {"application/pdf", "image/jpeg", "image/png", "image/svg+xml"}},
      {"application/vnd.google-apps.script",
       {"application/vnd.google-apps.script+json"}},
  };
  return kFormats;
}

// Text formats carry the document's text verbatim (what a user would check);
// binary formats get a fixed header naming the format, then the text, so the
// bytes are deterministic and differ per format.
std::string RenderExport(const FileRecord& f, const std::string& target) {
  const std::string text = f.native_text ? *f.native_text : std::string();
  if (target == "text/plain" || target == "text/csv" ||
      target == "text/markdown" || target == "text/tab-separated-values")
    return text;
  if (target == "text/html")
    return "<html><body><pre>" + text + "</pre></body></html>\n";
  if (target == "application/pdf")
    return "%PDF-1.4\n% gdmount-emulator export of " + f.id + "\n" + text +
           "\n%%EOF\n";
  return "GDMOUNT-EMULATOR-EXPORT " + target + " " + f.id + "\n" + text;
}

}  // namespace gdmount::emulator
