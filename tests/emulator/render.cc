#include "tests/emulator/render.h"

#include "tests/emulator/blob.h"
#include "tests/emulator/timefmt.h"

namespace gdmount::emulator {
namespace {

const std::map<std::string, std::string>& ExtensionFor() {
  static const std::map<std::string, std::string> kExt = {
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
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

std::string WebViewLink(const FileRecord& f) {
  if (f.is_folder()) return "https://drive.google.com/drive/folders/" + f.id;
  const std::string& m = f.mime_type;
  if (m == "application/vnd.google-apps.document")
    return "https://docs.google.com/document/d/" + f.id + "/edit?usp=drivesdk";
  if (m == "application/vnd.google-apps.spreadsheet")
    return "https://docs.google.com/spreadsheets/d/" + f.id + "/edit?usp=drivesdk";
  if (m == "application/vnd.google-apps.presentation")
    return "https://docs.google.com/presentation/d/" + f.id + "/edit?usp=drivesdk";
  return "https://drive.google.com/file/d/" + f.id + "/view?usp=drivesdk";
}

nlohmann::json Capabilities(const FileRecord& f) {
  bool rw = !f.read_only;
  bool blob = !f.is_folder() && !f.is_shortcut() && !f.is_native();
  bool in_drive = !f.drive_id.empty();
  return {{"canAddChildren", f.is_folder() && rw},
          {"canChangeViewersCanCopyContent", rw},
          {"canComment", true},
          {"canCopy", !f.is_folder()},
          {"canDelete", rw && !in_drive},
          {"canDownload", true},
          {"canEdit", rw},
          {"canListChildren", f.is_folder()},
          {"canModifyContent", rw && !f.is_folder()},
          {"canMoveItemWithinDrive", rw},
          {"canReadRevisions", blob || f.is_native()},
          {"canRemoveChildren", f.is_folder() && rw},
          {"canRename", rw},
          {"canShare", rw},
          {"canTrash", rw},
          {"canUntrash", rw}};
}

std::string Extension(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size()) return "";
  return name.substr(dot + 1);
}

}  // namespace

nlohmann::json RenderUser(const RenderContext& ctx) {
  return {{"kind", "drive#user"},
          {"displayName", ctx.user_name},
          {"emailAddress", ctx.user_email},
          {"me", true},
          {"permissionId", "00000000000000000001"},
          {"photoLink", ""}};
}

nlohmann::json RenderFile(const FileRecord& f, const RenderContext& ctx) {
  nlohmann::json j = {
      {"kind", "drive#file"},
      {"id", f.id},
      {"name", f.name},
      {"mimeType", f.mime_type},
      {"starred", f.starred},
      {"trashed", f.trashed},
      {"explicitlyTrashed", f.explicitly_trashed},
      {"version", std::to_string(f.version)},
      {"createdTime", FormatRfc3339(f.created_ms)},
      {"modifiedTime", FormatRfc3339(f.modified_ms)},
      {"modifiedByMe", true},
      {"viewedByMe", f.viewed_by_me_ms != 0},
      {"spaces", {"drive"}},
      {"shared", false},
      {"webViewLink", WebViewLink(f)},
      {"iconLink", "https://drive-thirdparty.googleusercontent.com/16/type/" +
                       f.mime_type},
      {"hasThumbnail", false},
      {"thumbnailVersion", "0"},
      {"isAppAuthorized", false},
      {"writersCanShare", true},
      {"viewersCanCopyContent", true},
      {"copyRequiresWriterPermission", false},
      {"capabilities", Capabilities(f)},
      {"lastModifyingUser", RenderUser(ctx)},
      {"quotaBytesUsed", std::to_string(f.drive_id.empty() ? f.size() : 0)}};
  if (!f.parents.empty()) j["parents"] = f.parents;
  if (!f.description.empty()) j["description"] = f.description;
  if (f.modified_by_me_ms) j["modifiedByMeTime"] = FormatRfc3339(f.modified_by_me_ms);
  if (f.viewed_by_me_ms) j["viewedByMeTime"] = FormatRfc3339(f.viewed_by_me_ms);
  if (!f.properties.empty()) j["properties"] = f.properties;
  if (!f.app_properties.empty()) j["appProperties"] = f.app_properties;
  if (f.drive_id.empty()) {
    j["ownedByMe"] = true;
    j["owners"] = {RenderUser(ctx)};
  } else {
    j["driveId"] = f.drive_id;
    j["teamDriveId"] = f.drive_id;
    if (f.trashed) {
      j["trashedTime"] = FormatRfc3339(f.trashed_ms);
      j["trashingUser"] = RenderUser(ctx);
    }
  }
  if (f.content) {
    const Digests& d = f.content->digests();
    j["size"] = std::to_string(f.content->size());
    j["md5Checksum"] = d.md5;
    j["sha1Checksum"] = d.sha1;
    j["sha256Checksum"] = d.sha256;
    j["headRevisionId"] = f.head_revision_id;
    j["webContentLink"] =
        "https://drive.google.com/uc?id=" + f.id + "&export=download";
    if (!f.original_filename.empty()) j["originalFilename"] = f.original_filename;
    std::string ext = Extension(f.name);
    if (!ext.empty()) {
      j["fileExtension"] = ext;
      size_t first = f.name.find('.', 1);
      j["fullFileExtension"] = f.name.substr(first + 1);
    }
  } else if (f.is_native()) {
    if (ctx.native_files_have_size)  // storage size, not an export's size
      j["size"] = std::to_string(f.native_text ? f.native_text->size() : 0);
    nlohmann::json links = nlohmann::json::object();
    auto it = ExportFormats().find(f.mime_type);
    if (it != ExportFormats().end())
      for (const auto& target : it->second)
        links[target] = "https://docs.google.com/feeds/download/export?id=" +
                        f.id + "&exportFormat=" + ExtensionFor().at(target);
    if (!links.empty()) j["exportLinks"] = links;
  }
  if (f.is_shortcut())
    j["shortcutDetails"] = {{"targetId", f.shortcut_target_id},
                            {"targetMimeType", f.shortcut_target_mime_type}};
  return j;
}

nlohmann::json DefaultFileFields(const nlohmann::json& full) {
  nlohmann::json j = nlohmann::json::object();
  for (const char* k : {"kind", "id", "name", "mimeType", "resourceKey"})
    if (full.contains(k)) j[k] = full[k];
  return j;
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
       {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text", "application/rtf",
        "application/pdf", "text/plain", "text/html", "application/zip",
        "application/epub+zip", "text/markdown"}},
      {"application/vnd.google-apps.spreadsheet",
       {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet", "application/pdf",
        "application/zip", "text/csv", "text/tab-separated-values"}},
      {"application/vnd.google-apps.presentation",
       {"application/vnd.openxmlformats-officedocument.presentationml.presentation",
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
  if (target == "text/plain" || target == "text/csv" || target == "text/markdown" ||
      target == "text/tab-separated-values")
    return text;
  if (target == "text/html")
    return "<html><body><pre>" + text + "</pre></body></html>\n";
  if (target == "application/pdf")
    return "%PDF-1.4\n% gdmount-emulator export of " + f.id + "\n" + text +
           "\n%%EOF\n";
  return "GDMOUNT-EMULATOR-EXPORT " + target + " " + f.id + "\n" + text;
}

}  // namespace gdmount::emulator
