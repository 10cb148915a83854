// Drive v3 resources as gdmount uses them: plain structs, decoded and
// validated by src/drive/json_codec.cc (the only place that sees JSON).
// Times are milliseconds since the Unix epoch (UTC); 0 means "absent".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gdmount::drive {

inline constexpr const char* kFolderMime = "application/vnd.google-apps.folder";
inline constexpr const char* kShortcutMime =
    "application/vnd.google-apps.shortcut";
// Google-native types ("Docs Editors" files and others) start with this.
inline constexpr const char* kGoogleAppsMimePrefix =
    "application/vnd.google-apps.";

// What a MIME type says about an item, shared by DriveFile and the
// metadata store's Entry.
inline bool IsFolderMime(const std::string& mime) {
  return mime == kFolderMime;
}
inline bool IsShortcutMime(const std::string& mime) {
  return mime == kShortcutMime;
}
// Google-native (Docs, Sheets, ...): no binary content, export only.
inline bool IsNativeMime(const std::string& mime) {
  return mime.rfind(kGoogleAppsMimePrefix, 0) == 0 && !IsFolderMime(mime) &&
         !IsShortcutMime(mime);
}

struct Capabilities {
  bool can_edit = false;
  bool can_download = true;
  bool can_trash = false;
  bool can_delete = false;
  bool can_rename = false;
  bool can_add_children = false;
};

struct DriveFile {
  std::string id;
  std::string name;
  std::string mime_type;
  std::vector<std::string> parents;  // at most one since 2020
  std::optional<int64_t> size;       // absent for folders and native files
  std::string md5;                   // lower-case hex; "" when absent
  int64_t version = 0;
  std::string head_revision_id;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  bool trashed = false;
  bool explicitly_trashed = false;
  std::string shortcut_target_id;    // shortcuts only
  std::string shortcut_target_mime;  // shortcuts only
  std::string drive_id;              // shared-drive items only
  std::string web_view_link;
  bool owned_by_me = false;
  std::optional<Capabilities> capabilities;
  std::map<std::string, std::string> app_properties;

  bool is_folder() const { return IsFolderMime(mime_type); }
  bool is_shortcut() const { return IsShortcutMime(mime_type); }
  bool is_native() const { return IsNativeMime(mime_type); }
};

struct FileListPage {
  std::vector<DriveFile> files;
  std::string next_page_token;  // "" on the last page
  bool incomplete_search = false;
};

struct Change {
  std::string change_type;  // "file" or "drive"
  std::string file_id;
  bool removed = false;
  std::optional<DriveFile> file;  // absent when removed
  int64_t time_ms = 0;
  std::string drive_id;
};

struct ChangePage {
  std::vector<Change> changes;
  // Exactly one of these is set: more pages now, or the end was reached.
  std::string next_page_token;
  std::string new_start_page_token;
};

// A shared drive the account is a member of. Its id is also the file id of
// its top-level folder.
struct SharedDrive {
  std::string id;
  std::string name;
  bool hidden = false;
};

struct About {
  std::string user_email;
  std::string user_display_name;
  std::optional<int64_t> quota_limit;  // absent: unlimited
  int64_t quota_usage = 0;
  int64_t quota_usage_in_drive = 0;
  int64_t quota_usage_in_trash = 0;
  int64_t max_upload_size = 0;
  // Native MIME type -> export MIME types.
  std::map<std::string, std::vector<std::string>> export_formats;
};

// Fields to write on create/update. Unset optionals are left alone.
struct FileMetadata {
  std::optional<std::string> name;
  std::optional<std::string> mime_type;
  std::optional<std::string> parent_id;  // create/copy only
  std::optional<int64_t> modified_ms;
  std::optional<bool> trashed;
  std::optional<std::string> description;
  std::optional<std::string> shortcut_target_id;  // create only
  // Value nullopt deletes the key (Drive's `null`).
  std::map<std::string, std::optional<std::string>> app_properties;
  // A pre-generated id (files.generateIds) for create/copy; makes retries
  // idempotent (a replay answers 409, and the client fetches the file).
  std::optional<std::string> id;
};

}  // namespace gdmount::drive
