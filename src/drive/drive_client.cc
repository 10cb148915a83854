// The DriveClient conveniences shared by every implementation.
#include "gdmount/drive_client.h"

namespace gdmount::drive {

Result<DriveFile> DriveClient::CreateFolder(const std::string& parent_id,
                                            const std::string& name) {
  FileMetadata md;
  md.name = name;
  md.mime_type = kFolderMime;
  md.parent_id = parent_id;
  return Create(md);
}

Result<DriveFile> DriveClient::CreateShortcut(const std::string& parent_id,
                                              const std::string& name,
                                              const std::string& target_id) {
  FileMetadata md;
  md.name = name;
  md.mime_type = kShortcutMime;
  md.parent_id = parent_id;
  md.shortcut_target_id = target_id;
  return Create(md);
}

Result<DriveFile> DriveClient::Trash(const std::string& id) {
  FileMetadata md;
  md.trashed = true;
  return Update(id, md);
}

Result<DriveFile> DriveClient::Untrash(const std::string& id) {
  FileMetadata md;
  md.trashed = false;
  return Update(id, md);
}

}  // namespace gdmount::drive
