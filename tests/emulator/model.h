// The emulator's data model: one FileRecord per Drive item (file, folder,
// shortcut, Google-native document, shared-drive root).
//
// Records are plain values owned by the Store (store.h); the query evaluator,
// the JSON renderer and the persistence journal all read them. Content bytes
// live in a Blob (blob.h) shared by pointer, so copying a record is cheap.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gdmount::emulator {

class Blob;

inline constexpr const char* kFolderMime = "application/vnd.google-apps.folder";
inline constexpr const char* kShortcutMime =
    "application/vnd.google-apps.shortcut";
inline constexpr const char* kGoogleAppsPrefix = "application/vnd.google-apps.";

// The other user who owns what is shared with the emulated user, unless a
// runtime share names someone else.
inline constexpr const char* kColleagueEmail = "colleague@example.com";
inline constexpr const char* kColleagueName = "Colleague";

// True for Google-native types that have no binary content (Docs, Sheets...):
// every application/vnd.google-apps.* type except folders and shortcuts.
bool IsGoogleNative(const std::string& mime);

struct FileRecord {
  std::string id;
  std::string name;
  std::string mime_type;
  std::vector<std::string> parents;  // zero (roots) or one element
  std::string description;
  bool starred = false;
  bool trashed = false;
  bool explicitly_trashed = false;
  // Times in milliseconds since the Unix epoch (rendered as RFC 3339).
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  int64_t modified_by_me_ms = 0;
  int64_t viewed_by_me_ms = 0;   // 0 = never viewed
  int64_t trashed_ms = 0;        // shared drives only
  int64_t version = 1;           // bumped on every change
  std::string head_revision_id;  // blob files only
  // Content of blob files (nullptr for folders, shortcuts, native docs).
  std::shared_ptr<const Blob> content;
  // Google-native documents: the text their exports are derived from.
  std::shared_ptr<const std::string> native_text;
  std::map<std::string, std::string> properties;
  std::map<std::string, std::string> app_properties;
  std::string shortcut_target_id;         // shortcuts only
  std::string shortcut_target_mime_type;  // snapshot at creation
  std::string drive_id;                   // set for items inside a shared drive
  bool read_only = false;                 // seeded as not writable by the user
  // Another user's item (empty: the emulated user's, or a shared drive's).
  // Such items are read-only for the user and use none of its quota.
  std::string owner_email;
  std::string owner_name;
  // Shared directly with the user (sharedWithMe): its parent, if any, belongs
  // to the owner, so `parents` is empty. Descendants are not shared_with_me.
  bool shared_with_me = false;
  int64_t shared_with_me_ms = 0;  // sharedWithMeTime
  std::string original_filename;
  // Monotonic creation sequence: the default listing order.
  uint64_t seq = 0;
  // Time the name last changed, for the search-index lag knob.
  int64_t name_changed_ms = 0;

  bool is_folder() const { return mime_type == kFolderMime; }
  bool is_shortcut() const { return mime_type == kShortcutMime; }
  bool is_native() const { return IsGoogleNative(mime_type); }
  bool owned_by_other() const { return !owner_email.empty(); }
  int64_t size() const;  // blob size, or 0 when there is no blob
};

}  // namespace gdmount::emulator
