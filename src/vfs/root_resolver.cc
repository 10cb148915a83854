#include "vfs/root_resolver.h"

#include <sstream>
#include <vector>

namespace gdmount::vfs {
namespace {

// Follows a shortcut to its target; anything else is returned as is.
Result<drive::DriveFile> Followed(drive::DriveClient* client,
                                  drive::DriveFile f) {
  if (!f.is_shortcut() || f.shortcut_target_id.empty()) return f;
  return client->GetFile(f.shortcut_target_id);
}

Result<drive::DriveFile> ChildFolder(drive::DriveClient* client,
                                     const drive::DriveFile& parent,
                                     const std::string& name,
                                     const std::string& shown_path) {
  auto named = client->ListNamed(parent.id, name, parent.drive_id);
  if (!named.ok()) return named.status();
  std::vector<drive::DriveFile> folders;
  for (auto& f : *named) {
    if (f.is_shortcut() && f.shortcut_target_mime != drive::kFolderMime)
      continue;
    if (!f.is_shortcut() && !f.is_folder()) continue;
    auto target = Followed(client, std::move(f));
    if (!target.ok()) continue;  // a shortcut to something gone
    if (target->is_folder()) folders.push_back(std::move(*target));
  }
  if (folders.empty())
    return NotFoundError("no folder " + shown_path + " on Drive");
  if (folders.size() > 1) {
    std::string ids;
    for (const auto& f : folders) ids += (ids.empty() ? "" : ", ") + f.id;
    return InvalidArgumentError(
        shown_path + " names " + std::to_string(folders.size()) +
        " folders (ids " + ids + "); pass one id to --root-folder");
  }
  return std::move(folders[0]);
}

Result<drive::DriveFile> WalkPath(drive::DriveClient* client,
                                  drive::DriveFile cur,
                                  const std::string& path) {
  std::stringstream in(path);
  std::string shown;
  for (std::string name; std::getline(in, name, '/');) {
    if (name.empty() || name == ".") continue;
    shown += "/" + name;
    auto next = ChildFolder(client, cur, name, shown);
    if (!next.ok()) return next.status();
    cur = std::move(*next);
  }
  return cur;
}

}  // namespace

Result<drive::DriveFile> ResolveRoot(drive::DriveClient* client,
                                     const RootSpec& spec) {
  auto base =
      client->GetFile(spec.shared_drive.empty() ? "root" : spec.shared_drive);
  if (!base.ok()) {
    if (base.status().code() == StatusCode::kNotFound)
      return NotFoundError("no shared drive " + spec.shared_drive +
                           " (gdmount drives lists them)");
    return base.status();
  }
  if (spec.root_folder.empty()) return base;
  if (spec.root_folder.find('/') == std::string::npos) {
    auto by_id = client->GetFile(spec.root_folder);
    if (by_id.ok()) {
      auto folder = Followed(client, std::move(*by_id));
      if (!folder.ok()) return folder.status();
      if (!folder->is_folder())
        return InvalidArgumentError(spec.root_folder + " (" + folder->name +
                                    ") is not a folder");
      return folder;
    }
    if (by_id.status().code() != StatusCode::kNotFound) return by_id.status();
  }
  return WalkPath(client, std::move(*base), spec.root_folder);
}

}  // namespace gdmount::vfs
