// Metadata writes: create, update (rename, move, trash), copy, and the
// pre-generated ids that make creates and copies safe to retry.
#include "drive/drive_client_impl.h"
#include "drive/errors.h"
#include "drive/json_codec.h"
#include "gdmount/log.h"
#include "util/url.h"

namespace gdmount::drive {
namespace {
const char* kJsonContentType = "application/json; charset=UTF-8";
}  // namespace

Result<std::string> DriveClientImpl::NextId() {
  {
    std::lock_guard<std::mutex> lock(ids_mu_);
    if (!ids_.empty()) {
      std::string id = std::move(ids_.front());
      ids_.pop_front();
      return id;
    }
  }
  Call c;
  c.name = "files.generateIds";
  c.url = ApiUrl("/files/generateIds",
                 {{"count", std::to_string(options_.id_batch)},
                  {"space", "drive"},
                  {"type", "files"}});
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  auto ids = ParseGeneratedIds(r->body);
  if (!ids.ok()) return ids.status();
  if (ids->empty())
    return Status(StatusCode::kCorruption, "files.generateIds returned no ids");
  std::string first = ids->front();
  std::lock_guard<std::mutex> lock(ids_mu_);
  ids_.insert(ids_.end(), ids->begin() + 1, ids->end());
  return first;
}

Result<DriveFile> DriveClientImpl::CreatedBefore(const std::string& id,
                                                 const Status& s) {
  // 409 for an id only this client was given: an earlier attempt whose
  // answer was lost already created the file.
  if (s.code() != StatusCode::kAlreadyExists || id.empty()) return s;
  GDMOUNT_LOG(kInfo) << "create was replayed; using the file the first "
                        "attempt created";
  return GetFile(id);
}

Result<DriveFile> DriveClientImpl::CreateWithId(const std::string& name,
                                                const std::string& path,
                                                const FileMetadata& metadata) {
  FileMetadata md = metadata;
  if (!md.id) {
    auto id = NextId();
    if (!id.ok()) return id.status();
    md.id = *id;
  }
  Call c;
  c.name = name;
  c.method = "POST";
  c.url =
      ApiUrl(path, {{"fields", kFileFields}, {"supportsAllDrives", "true"}});
  c.headers = {{"Content-Type", kJsonContentType}};
  c.body = MetadataToJson(md);
  auto r = Execute(std::move(c));
  if (!r.ok()) return CreatedBefore(*md.id, r.status());
  return ParseFile(r->body);
}

Result<DriveFile> DriveClientImpl::Create(const FileMetadata& metadata) {
  return CreateWithId("files.create", "/files", metadata);
}

Result<DriveFile> DriveClientImpl::Update(const std::string& id,
                                          const FileMetadata& patch,
                                          const std::string& add_parent,
                                          const std::string& remove_parent) {
  FileMetadata md = patch;
  // Neither is writable in an update: parents move via add/removeParents.
  md.parent_id.reset();
  md.id.reset();
  std::vector<std::pair<std::string, std::string>> params = {
      {"fields", kFileFields}, {"supportsAllDrives", "true"}};
  if (!add_parent.empty()) params.emplace_back("addParents", add_parent);
  if (!remove_parent.empty())
    params.emplace_back("removeParents", remove_parent);
  Call c;
  c.name = "files.update";
  c.method = "PATCH";
  c.url = ApiUrl("/files/" + util::PercentEncode(id), std::move(params));
  c.headers = {{"Content-Type", kJsonContentType}};
  c.body = MetadataToJson(md);
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  return ParseFile(r->body);
}

Result<DriveFile> DriveClientImpl::Copy(const std::string& id,
                                        const FileMetadata& metadata) {
  return CreateWithId("files.copy",
                      "/files/" + util::PercentEncode(id) + "/copy", metadata);
}

}  // namespace gdmount::drive
