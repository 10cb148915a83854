// The DriveClient conveniences shared by every implementation.
#include "gdmount/drive_client.h"

#include <iterator>

#include "drive/query.h"

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

namespace {

ListQuery Query(std::string q, const std::string& drive_id = "") {
  ListQuery query;
  query.q = std::move(q);
  query.page_size = 1000;
  query.drive_id = drive_id;
  return query;
}

}  // namespace

Result<std::vector<DriveFile>> DriveClient::ListAll(const ListQuery& query) {
  std::vector<DriveFile> all;
  Status s =
      ListEach(query, [&all](std::vector<DriveFile> files, bool from_start) {
        if (from_start) all.clear();
        if (all.empty()) {
          all = std::move(files);
        } else {
          all.insert(all.end(), std::make_move_iterator(files.begin()),
                     std::make_move_iterator(files.end()));
        }
        return Status::Ok();
      });
  if (!s.ok()) return s;
  return all;
}

Result<std::vector<DriveFile>> DriveClient::ListChildren(
    const std::string& folder_id, const std::string& drive_id) {
  return ListAll(Query(ChildrenQuery(folder_id), drive_id));
}

Status DriveClient::ListChildrenEach(const std::string& folder_id,
                                     const std::string& drive_id,
                                     const ListSink& sink) {
  return ListEach(Query(ChildrenQuery(folder_id), drive_id), sink);
}

Result<std::vector<DriveFile>> DriveClient::ListNamed(
    const std::string& folder_id, const std::string& name,
    const std::string& drive_id) {
  return ListAll(Query(NameInFolderQuery(folder_id, name), drive_id));
}

Result<std::vector<DriveFile>> DriveClient::ListTrashedChildren(
    const std::string& folder_id, const std::string& drive_id) {
  return ListAll(
      Query(ChildrenQuery(folder_id, TrashFilter::kTrashed), drive_id));
}

Result<std::vector<DriveFile>> DriveClient::ListTrashed() {
  return ListAll(Query(TrashedQuery()));
}

Result<std::vector<DriveFile>> DriveClient::ListSharedWithMe() {
  return ListAll(Query(SharedWithMeQuery()));
}

}  // namespace gdmount::drive
