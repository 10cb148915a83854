// Entry: one Drive item as the metadata store keeps it, and ListingState:
// whether a folder's children are known locally. Plain values, copied out of
// SQLite; they never alias the database.
//
// Thread safety: thread-compatible (plain structs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "gdmount/drive_types.h"

namespace gdmount::meta {

struct Entry {
  // Stable inode number (never 0 for a stored entry; 1 only for the root).
  uint64_t ino = 0;
  std::string id;
  // The folder this entry is listed in: the first of DriveFile::parents, or
  // the folder whose complete listing contained it. "" for the root and for
  // orphans (items whose parent the account cannot see).
  std::string parent_id;
  std::string name;  // Drive's name, unsanitized (may contain '/')
  std::string mime_type;
  std::optional<int64_t> size;  // absent for folders and native files
  std::string md5;              // lower-case hex; "" when absent
  int64_t version = 0;
  std::string head_revision_id;
  int64_t created_ms = 0;  // Unix epoch milliseconds; 0 = absent
  int64_t modified_ms = 0;
  // Drive's `trashed`: explicitly trashed, or inside a trashed folder.
  bool trashed = false;
  // Drive's `explicitlyTrashed`: trashed by itself (a top-level .Trash item).
  bool explicitly_trashed = false;
  std::string shortcut_target_id;    // shortcuts only
  std::string shortcut_target_mime;  // shortcuts only
  std::string drive_id;              // shared-drive items only
  std::string web_view_link;
  // From DriveFile::capabilities (defaults when Drive sent none).
  bool can_edit = false;
  bool can_download = true;
  // POSIX attributes this mount stored in the file's appProperties (the
  // keys google-drive-ocamlfuse uses: "mode" as octal permission bits,
  // "uid", "gid", "link_target"); absent: the mount options decide.
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string link_target;  // a symlink stored as a small file

  bool is_symlink() const { return !link_target.empty(); }

  bool is_folder() const { return drive::IsFolderMime(mime_type); }
  bool is_shortcut() const { return drive::IsShortcutMime(mime_type); }
  bool is_native() const { return drive::IsNativeMime(mime_type); }
};

// `file` as the store keeps it when filed under `parent_id` with inode
// number `ino`: the one mapping from Drive's fields to an Entry's, used to
// write entries and to build views from a listing without reading it back.
Entry ToEntry(const drive::DriveFile& file, std::string parent_id,
              uint64_t ino);
// The inverse: what to store for `e` (as a local change). Mode, owner and
// link target go back into appProperties.
drive::DriveFile FromEntry(const Entry& e);

// appProperties keys of the POSIX attributes (see Entry).
inline constexpr const char* kModeProperty = "mode";
inline constexpr const char* kUidProperty = "uid";
inline constexpr const char* kGidProperty = "gid";
inline constexpr const char* kLinkTargetProperty = "link_target";

// Field-by-field equality (a change that changed nothing stored).
inline bool operator==(const Entry& a, const Entry& b) {
  auto tie = [](const Entry& e) {
    return std::tie(e.ino, e.id, e.parent_id, e.name, e.mime_type, e.size,
                    e.md5, e.version, e.head_revision_id, e.created_ms,
                    e.modified_ms, e.trashed, e.explicitly_trashed,
                    e.shortcut_target_id, e.shortcut_target_mime, e.drive_id,
                    e.web_view_link, e.can_edit, e.can_download, e.mode, e.uid,
                    e.gid, e.link_target);
  };
  return tie(a) == tie(b);
}
inline bool operator!=(const Entry& a, const Entry& b) { return !(a == b); }

// One change from Drive's change feed as MetadataStore::ApplyChanges
// applied it: the entry before and after (nullopt: not stored).
struct AppliedChange {
  std::string id;
  std::optional<Entry> before;
  std::optional<Entry> after;  // trashed entries stay stored, trashed
};

// A folder's local listing. complete == false: its children must be listed
// from Drive before a lookup in it may be answered negatively.
struct ListingState {
  bool complete = false;
  int64_t fetched_ms = 0;  // when the last complete listing was stored
};

}  // namespace gdmount::meta
