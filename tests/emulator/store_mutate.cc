// Store mutations: create, update (rename/move/trash/content), copy, delete,
// empty trash, and the seeding entry points.
#include <algorithm>

#include "tests/emulator/blob.h"
#include "tests/emulator/store.h"

namespace gdmount::emulator {
namespace {

// The bytes of an upload that becomes a Google-native document's text.
std::shared_ptr<const std::string> BlobText(const Blob& blob) {
  std::string text(blob.size(), '\0');
  if (!blob.ReadAt(0, text.data(), text.size()).ok()) return nullptr;
  return std::make_shared<const std::string>(std::move(text));
}

ApiError CannotAddParent() {
  return Forbidden("cannotAddParent",
                   "Increasing the number of parents is not allowed.");
}

}  // namespace

ApiOr<FileRecord> Store::Create(const nlohmann::json& metadata,
                                std::optional<NewContent> content,
                                const Scope& scope) {
  Lock lock(mu_);
  FileRecord rec;
  if (auto r = ApplyWritable(metadata, /*creating=*/true, &rec); !r.ok())
    return r.error();
  // Parents: none means My Drive's root; more than one is refused.
  std::string parent = root_id_;
  if (auto it = metadata.find("parents");
      it != metadata.end() && !it->is_null()) {
    if (!it->is_array())
      return BadRequest("Invalid value for: parents", "invalid");
    if (it->size() > 1) return CannotAddParent();
    if (it->size() == 1) {
      if (!(*it)[0].is_string())
        return BadRequest("Invalid value for: parents", "invalid");
      parent = (*it)[0].get<std::string>();
    }
  }
  auto checked = CheckParent(parent, scope);
  if (!checked.ok()) return checked.error();
  const FileRecord& p = *Find(checked.value());
  rec.parents = {p.id};
  rec.drive_id = p.drive_id;

  if (auto it = metadata.find("id"); it != metadata.end() && it->is_string()) {
    std::string id = it->get<std::string>();
    if (files_.count(id))
      return ApiError{
          409,      "duplicate", "A file already exists with the provided ID.",
          "global", "id",        "other"};
    if (!generated_ids_.count(id))
      return BadRequest("The provided file ID is not usable.", "invalid", "id",
                        "other");
    // Consumed only by a create that succeeds (below): a create refused
    // for quota or a bad body may be retried with the same id.
    rec.id = id;
  } else {
    rec.id = NewId();
  }
  if (rec.name.empty()) rec.name = "Untitled";
  if (rec.is_folder() || rec.is_shortcut()) {
    if (content)
      return BadRequest("Media is not allowed for " + rec.mime_type + ".");
  }
  if (rec.is_shortcut()) {
    const FileRecord* target = Find(rec.shortcut_target_id);
    if (rec.shortcut_target_id.empty() || !target || !Visible(*target, scope))
      return FileNotFound(rec.shortcut_target_id);
    rec.shortcut_target_id = target->id;
    rec.shortcut_target_mime_type = target->mime_type;
  } else if (!rec.shortcut_target_id.empty()) {
    return BadRequest("shortcutDetails is only allowed for shortcuts.");
  }
  if (content && rec.drive_id.empty() && OverQuota(content->blob->size()))
    return StorageQuotaExceeded();
  int64_t now = Now();
  if (rec.created_ms == 0) rec.created_ms = now;
  if (rec.modified_ms == 0) rec.modified_ms = now, rec.modified_by_me_ms = now;
  rec.name_changed_ms = now;
  if (rec.trashed) rec.explicitly_trashed = true, rec.trashed_ms = now;
  if (content) {
    if (rec.is_native()) {  // an import: the upload becomes the document
      rec.native_text = BlobText(*content->blob);
      if (!rec.native_text) return InternalError();
    } else {
      SetContent(&rec, *content);
      if (rec.original_filename.empty()) rec.original_filename = rec.name;
    }
  }
  if (rec.mime_type.empty()) rec.mime_type = "application/octet-stream";
  if (rec.is_native() && !rec.native_text)
    rec.native_text = std::make_shared<const std::string>();
  rec.version = 1;
  generated_ids_.erase(rec.id);
  Insert(rec);
  const FileRecord& stored = files_.at(rec.id);
  RecordChange(stored, false);
  return stored;
}

ApiOr<FileRecord> Store::Update(const std::string& id,
                                const nlohmann::json& metadata,
                                const std::vector<std::string>& add_parents,
                                const std::vector<std::string>& remove_parents,
                                std::optional<NewContent> content,
                                const Scope& scope) {
  Lock lock(mu_);
  const FileRecord* cur = Find(id);
  if (!cur || !Visible(*cur, scope)) return FileNotFound(id);
  if (cur->read_only) return InsufficientPermissions();
  if (metadata.is_object() && metadata.contains("parents"))
    return ParentsNotWritable();
  FileRecord next = *cur;
  if (content && !metadata.contains("mimeType") &&
      !content->mime_type.empty() && !cur->is_native())
    next.mime_type = content->mime_type;  // new revision, new detected type
  nlohmann::json md = metadata.is_null() ? nlohmann::json::object() : metadata;
  if (content && md.contains("mimeType")) {
    if (!md["mimeType"].is_string())
      return BadRequest("Invalid value for field: mimeType", "invalid",
                        "mimeType", "other");
    next.mime_type = md["mimeType"].get<std::string>();
  }
  if (content) md.erase("mimeType");
  bool was_trashed = cur->trashed;
  if (auto r = ApplyWritable(md, /*creating=*/false, &next); !r.ok())
    return r.error();

  // Moves: the result must still have exactly one parent.
  std::vector<std::string> parents = cur->parents;
  for (const auto& r : remove_parents) {
    const FileRecord* rp = Find(r);
    std::string real = rp ? rp->id : r;
    parents.erase(std::remove(parents.begin(), parents.end(), real),
                  parents.end());
  }
  for (const auto& a : add_parents) {
    auto checked = CheckParent(a, scope);
    if (!checked.ok()) return checked.error();
    const std::string& real = checked.value();
    if (real == cur->id || IsAncestor(cur->id, real))
      return BadRequest("The parent would create a cycle.", "badRequest",
                        "addParents");
    if (std::find(parents.begin(), parents.end(), real) == parents.end())
      parents.push_back(real);
  }
  if (cur->id == root_id_ && (!add_parents.empty() || !remove_parents.empty()))
    return InsufficientPermissions();
  if (parents.size() > 1) return CannotAddParent();
  if (parents.empty() && !cur->parents.empty())
    return Forbidden("cannotRemoveParent",
                     "An item must have exactly one parent.");
  if (parents != cur->parents) {
    const FileRecord& np = *Find(parents[0]);
    if (np.drive_id != cur->drive_id && cur->is_folder() &&
        !np.drive_id.empty())
      return Forbidden("teamDrivesFolderMoveInNotSupported",
                       "Moving folders into shared drives is not supported.");
    next.parents = parents;
    next.drive_id = np.drive_id;
  }
  int64_t now = Now();
  if (content) {
    if (cur->is_folder() || cur->is_shortcut())
      return BadRequest("Media is not allowed for " + cur->mime_type + ".");
    int64_t delta = content->blob->size() - cur->size();
    if (next.drive_id.empty() && OverQuota(delta))
      return StorageQuotaExceeded();
    if (cur->is_native()) {
      next.native_text = BlobText(*content->blob);
      if (!next.native_text) return InternalError();
    } else {
      SetContent(&next, *content);
    }
    if (!md.contains("modifiedTime"))
      next.modified_ms = now, next.modified_by_me_ms = now;
  }
  next.version = cur->version + 1;

  bool trash_changed = next.trashed != was_trashed;
  if (trash_changed) {
    next.explicitly_trashed = next.trashed;
    next.trashed_ms = next.trashed ? now : 0;
  }
  // `cur` dangles once replaced: decide what moved first.
  const bool moved =
      next.drive_id != cur->drive_id || next.parents != cur->parents;
  Replace(*cur, next);
  RecordChange(files_.at(next.id), false);
  if (trash_changed && next.is_folder()) {
    // Descendants follow implicitly (explicitlyTrashed stays false on them);
    // untrash restores only what this trash implied.
    ForEachDescendant(next.id, [&](const std::string& child_id) {
      const FileRecord& c = files_.at(child_id);
      if (next.trashed == c.trashed || c.explicitly_trashed) return;
      FileRecord cn = c;
      cn.trashed = next.trashed;
      cn.trashed_ms = next.trashed ? now : 0;
      cn.version++;
      Replace(c, cn);
      RecordChange(files_.at(child_id), false);
    });
  }
  if (moved) {
    // Moved across drives: descendants change drive too.
    ForEachDescendant(next.id, [&](const std::string& child_id) {
      const FileRecord& c = files_.at(child_id);
      if (c.drive_id == next.drive_id) return;
      FileRecord cn = c;
      cn.drive_id = next.drive_id;
      cn.version++;
      Replace(c, cn);
      RecordChange(files_.at(child_id), false);
    });
  }
  return files_.at(next.id);
}

ApiOr<FileRecord> Store::Copy(const std::string& id,
                              const nlohmann::json& metadata,
                              const Scope& scope) {
  FileRecord src;
  {
    SharedLock lock(mu_);
    const FileRecord* f = Find(id);
    if (!f || !Visible(*f, scope)) return FileNotFound(id);
    if (f->is_folder())
      return Forbidden("cannotCopyFile",
                       "This file cannot be copied by the user.");
    src = *f;
  }
  nlohmann::json md =
      metadata.is_object() ? metadata : nlohmann::json::object();
  if (!md.contains("name")) md["name"] = options_.copy_name_prefix + src.name;
  if (!md.contains("parents") && !src.parents.empty())
    md["parents"] = src.parents;
  if (!md.contains("mimeType")) md["mimeType"] = src.mime_type;
  if (src.is_shortcut())
    md["shortcutDetails"] = {{"targetId", src.shortcut_target_id}};
  // "id" stays: Drive accepts an id from files.generateIds on copy as on
  // create ("IDs ... can be used when creating or copying files"), which
  // makes a retried copy idempotent; Create() validates it.
  std::optional<NewContent> content;
  if (src.content)
    content = NewContent{src.content, src.mime_type};  // shared, immutable
  auto created = Create(md, content, scope);
  if (!created.ok() || !src.is_native()) return created;
  Lock lock(mu_);  // native docs: carry the document text over
  FileRecord& rec = files_.at(created->id);
  rec.native_text = src.native_text;
  return rec;
}

ApiOr<Ok> Store::Delete(const std::string& id, const Scope& scope) {
  Lock lock(mu_);
  const FileRecord* f = Find(id);
  if (!f || !Visible(*f, scope)) return FileNotFound(id);
  if (f->read_only || f->id == root_id_ || drives_.count(f->id))
    return InsufficientPermissions();
  std::vector<std::string> doomed;
  ForEachDescendant(f->id, [&](const std::string& c) { doomed.push_back(c); });
  doomed.push_back(f->id);
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
    FileRecord gone = files_.at(*it);
    Erase(*it);
    RecordChange(gone, /*removed=*/true);
  }
  return Ok{};
}

ApiOr<Ok> Store::EmptyTrash(const std::string& drive_id, const Scope& scope) {
  std::vector<std::string> roots;
  {
    SharedLock lock(mu_);
    if (!drive_id.empty() && !drives_.count(drive_id))
      return DriveNotFound(drive_id);
    for (const auto& [fid, f] : files_)
      if (f.explicitly_trashed && f.drive_id == drive_id && !f.read_only)
        roots.push_back(fid);
  }
  Scope all = scope;
  all.supports_all_drives = true;
  for (const auto& r : roots) {
    auto done = Delete(r, all);  // NotFound: already gone with a parent
    (void)done;
  }
  return Ok{};
}

std::string Store::SeedFolder(const std::string& parent,
                              const std::string& name) {
  FileRecord rec;
  rec.name = name;
  rec.mime_type = kFolderMime;
  return SeedFile(parent, std::move(rec));
}

std::string Store::SeedFile(const std::string& parent, FileRecord rec) {
  Lock lock(mu_);
  const FileRecord* p = Find(parent);
  rec.id = NewId();
  if (p) {
    rec.parents = {p->id};
    rec.drive_id = p->drive_id;
  }
  int64_t now = Now();
  if (rec.created_ms == 0) rec.created_ms = now;
  if (rec.modified_ms == 0) rec.modified_ms = now;
  if (rec.modified_by_me_ms == 0 && !rec.owned_by_other())
    rec.modified_by_me_ms = rec.modified_ms;
  if (rec.shared_with_me && rec.shared_with_me_ms == 0)
    rec.shared_with_me_ms = rec.created_ms;
  if (rec.content && rec.head_revision_id.empty())
    rec.head_revision_id = "0B" + NewId().substr(1, 20);
  if (rec.content && rec.original_filename.empty())
    rec.original_filename = rec.name;
  if (rec.is_native() && !rec.native_text)
    rec.native_text = std::make_shared<const std::string>();
  std::string id = rec.id;
  Insert(std::move(rec));
  Persist(files_.at(id));
  return id;
}

std::string Store::SeedSharedDrive(const std::string& name) {
  FileRecord rec;
  rec.name = name;
  rec.mime_type = kFolderMime;
  std::string id;
  {
    Lock lock(mu_);
    rec.id = "0A" + NewId().substr(1, 17);
    rec.drive_id = rec.id;
    rec.created_ms = rec.modified_ms = rec.modified_by_me_ms = Now();
    id = rec.id;
    drives_[id] = SharedDrive{id, name, rec.created_ms, false};
    Insert(rec);
    Persist(files_.at(id));
    if (journal_ && journal_->persistent())
      journal_->Append({{"t", "drive"},
                        {"id", id},
                        {"name", name},
                        {"created", rec.created_ms}});
  }
  return id;
}

bool Store::SeedPatch(const std::string& id,
                      const std::function<void(FileRecord&)>& fn) {
  Lock lock(mu_);
  const FileRecord* f = Find(id);
  if (!f) return false;
  FileRecord next = *f;
  fn(next);
  Replace(*f, next);
  Persist(files_.at(id));
  return true;
}

ApiOr<FileRecord> Store::ShareWithMe(const std::string& id,
                                     const std::string& owner_email,
                                     const std::string& owner_name) {
  Lock lock(mu_);
  const FileRecord* f = Find(id);
  if (!f || f->id == root_id_ || !f->drive_id.empty()) return FileNotFound(id);
  std::vector<std::string> items = {f->id};
  ForEachDescendant(f->id, [&](const std::string& c) { items.push_back(c); });
  for (const std::string& item : items) {
    const FileRecord& cur = files_.at(item);
    FileRecord next = cur;
    next.owner_email = owner_email;
    next.owner_name = owner_name;
    next.read_only = true;
    next.version++;
    if (item == items.front()) {
      next.parents.clear();
      next.shared_with_me = true;
      next.shared_with_me_ms = Now();
    }
    Replace(cur, next);
    RecordChange(files_.at(item), false);
  }
  return files_.at(items.front());
}

}  // namespace gdmount::emulator
