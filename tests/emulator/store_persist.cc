// Store persistence: records <-> journal lines, replay at start, compaction.
#include <filesystem>
#include <set>

#include "tests/emulator/blob.h"
#include "tests/emulator/store.h"

namespace gdmount::emulator {
namespace {

using BlobCache = std::unordered_map<std::string, std::shared_ptr<const Blob>>;

nlohmann::json BlobToJson(const Blob& b) {
  nlohmann::json j = {{"k", b.Kind()}, {"size", b.size()}};
  if (auto* fb = dynamic_cast<const FileBlob*>(&b)) {
    j["path"] = std::filesystem::path(fb->path()).filename().string();
    const Digests& d = b.digests();
    j["md5"] = d.md5;
    j["sha1"] = d.sha1;
    j["sha256"] = d.sha256;
  } else if (auto* sb = dynamic_cast<const SyntheticBlob*>(&b)) {
    j["seed"] = sb->seed();
  }
  return j;
}

// `cache` makes records that share a blob file (copies) share one FileBlob,
// so dropping one of them cannot unlink the other's bytes.
std::shared_ptr<const Blob> BlobFromJson(const nlohmann::json& j,
                                         const std::string& blob_dir,
                                         BlobCache* cache) {
  std::string kind = j.value("k", "");
  int64_t size = j.value("size", int64_t{0});
  if (kind == "synthetic")
    return std::make_shared<SyntheticBlob>(j.value("seed", uint64_t{0}), size);
  if (kind == "file") {
    std::string path = blob_dir + "/" + j.value("path", "");
    if (auto it = cache->find(path); it != cache->end()) return it->second;
    auto blob = std::make_shared<FileBlob>(path, size, /*keep_file=*/false);
    (*cache)[path] = blob;
    blob->set_digests(Digests{j.value("md5", ""), j.value("sha1", ""),
                              j.value("sha256", "")});
    return blob;
  }
  return nullptr;
}

nlohmann::json RecordToJson(const FileRecord& f) {
  nlohmann::json j = {{"id", f.id},
                      {"name", f.name},
                      {"mime", f.mime_type},
                      {"parents", f.parents},
                      {"desc", f.description},
                      {"starred", f.starred},
                      {"trashed", f.trashed},
                      {"xtrashed", f.explicitly_trashed},
                      {"created", f.created_ms},
                      {"modified", f.modified_ms},
                      {"modified_by_me", f.modified_by_me_ms},
                      {"viewed", f.viewed_by_me_ms},
                      {"trashed_ms", f.trashed_ms},
                      {"version", f.version},
                      {"head", f.head_revision_id},
                      {"props", f.properties},
                      {"app_props", f.app_properties},
                      {"target", f.shortcut_target_id},
                      {"target_mime", f.shortcut_target_mime_type},
                      {"drive", f.drive_id},
                      {"ro", f.read_only},
                      {"orig", f.original_filename},
                      {"seq", f.seq}};
  if (f.content) j["blob"] = BlobToJson(*f.content);
  if (f.native_text) j["text"] = *f.native_text;
  if (f.owned_by_other())
    j["owner"] = {{"email", f.owner_email}, {"name", f.owner_name}};
  if (f.shared_with_me) j["swm"] = f.shared_with_me_ms;
  return j;
}

FileRecord RecordFromJson(const nlohmann::json& j, const std::string& blob_dir,
                          BlobCache* cache) {
  FileRecord f;
  f.id = j.value("id", "");
  f.name = j.value("name", "");
  f.mime_type = j.value("mime", "");
  f.parents = j.value("parents", std::vector<std::string>{});
  f.description = j.value("desc", "");
  f.starred = j.value("starred", false);
  f.trashed = j.value("trashed", false);
  f.explicitly_trashed = j.value("xtrashed", false);
  f.created_ms = j.value("created", int64_t{0});
  f.modified_ms = j.value("modified", int64_t{0});
  f.modified_by_me_ms = j.value("modified_by_me", int64_t{0});
  f.viewed_by_me_ms = j.value("viewed", int64_t{0});
  f.trashed_ms = j.value("trashed_ms", int64_t{0});
  f.version = j.value("version", int64_t{1});
  f.head_revision_id = j.value("head", "");
  f.properties = j.value("props", std::map<std::string, std::string>{});
  f.app_properties = j.value("app_props", std::map<std::string, std::string>{});
  f.shortcut_target_id = j.value("target", "");
  f.shortcut_target_mime_type = j.value("target_mime", "");
  f.drive_id = j.value("drive", "");
  f.read_only = j.value("ro", false);
  f.original_filename = j.value("orig", "");
  f.seq = j.value("seq", uint64_t{0});
  if (j.contains("blob")) f.content = BlobFromJson(j["blob"], blob_dir, cache);
  if (j.contains("text"))
    f.native_text = std::make_shared<const std::string>(j.value("text", ""));
  if (j.contains("owner") && j["owner"].is_object()) {
    f.owner_email = j["owner"].value("email", "");
    f.owner_name = j["owner"].value("name", "");
  }
  f.shared_with_me = j.contains("swm");
  f.shared_with_me_ms = j.value("swm", int64_t{0});
  return f;
}

}  // namespace

void Store::Persist(const FileRecord& rec) {
  if (!journal_ || !journal_->persistent()) return;
  auto it = latest_change_.find(rec.id);
  journal_->Append({{"t", "file"},
                    {"c", it == latest_change_.end() ? 0 : it->second},
                    {"f", RecordToJson(rec)}});
}

void Store::ApplyJournalRecord(const nlohmann::json& rec, BlobCache* cache) {
  std::string type = rec.value("t", "");
  uint64_t counter = rec.value("c", uint64_t{0});
  auto note_change = [&](const std::string& id, const std::string& drive,
                         bool removed, int64_t time) {
    auto prev = latest_change_.find(id);
    if (prev != latest_change_.end()) changes_.erase(prev->second);
    changes_[counter] = ChangeEntry{id, drive, removed, time};
    latest_change_[id] = counter;
    next_change_ = std::max(next_change_, counter + 1);
  };
  if (type == "root") {
    root_id_ = rec.value("id", "");
  } else if (type == "drive") {
    std::string id = rec.value("id", "");
    drives_[id] = SharedDrive{id, rec.value("name", ""),
                              rec.value("created", int64_t{0}), false};
  } else if (type == "file" && rec.contains("f")) {
    FileRecord f = RecordFromJson(rec["f"], journal_->blob_dir(), cache);
    if (f.id.empty()) return;
    std::string id = f.id;
    int64_t time = f.modified_ms;
    Erase(id);
    Insert(std::move(f));
    if (counter > 0) note_change(id, files_.at(id).drive_id, false, time);
  } else if (type == "del") {
    std::string id = rec.value("id", "");
    Erase(id);
    if (counter > 0)
      note_change(id, rec.value("d", ""), true, rec.value("time", int64_t{0}));
  }
}

Status Store::Open() {
  Lock lock(mu_);
  if (journal_ && journal_->persistent()) {
    BlobCache cache;
    Status s = journal_->Replay(
        [&](const nlohmann::json& r) { ApplyJournalRecord(r, &cache); });
    if (!s.ok()) return s;
    // Blob files no record names are leftovers of a crash: remove them.
    std::set<std::string> live;
    for (const auto& [id, f] : files_)
      if (auto* fb = dynamic_cast<const FileBlob*>(f.content.get()))
        live.insert(std::filesystem::path(fb->path()).filename().string());
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(journal_->blob_dir(), ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind("b", 0) == 0 && !live.count(name))
        std::filesystem::remove(e.path(), ec);
    }
  }
  if (!root_id_.empty() && files_.count(root_id_)) return Status();
  FileRecord root;
  root.id = NewId();
  root.name = "My Drive";
  root.mime_type = kFolderMime;
  root.created_ms = root.modified_ms = root.modified_by_me_ms = Now();
  root_id_ = root.id;
  Insert(root);
  if (journal_ && journal_->persistent()) {
    journal_->Append({{"t", "root"}, {"id", root_id_}});
    Persist(files_.at(root_id_));
  }
  return Status();
}

Status Store::Checkpoint(const std::vector<nlohmann::json>& extra) {
  if (!journal_ || !journal_->persistent()) return Status();
  SharedLock lock(mu_);
  std::vector<nlohmann::json> records;
  records.push_back({{"t", "root"}, {"id", root_id_}});
  for (const auto& [id, d] : drives_)
    records.push_back({{"t", "drive"},
                       {"id", id},
                       {"name", d.name},
                       {"created", d.created_ms}});
  std::vector<const FileRecord*> all;
  for (const auto& [id, f] : files_) all.push_back(&f);
  std::sort(
      all.begin(), all.end(),
      [](const FileRecord* a, const FileRecord* b) { return a->seq < b->seq; });
  for (const FileRecord* f : all) {
    auto it = latest_change_.find(f->id);
    records.push_back({{"t", "file"},
                       {"c", it == latest_change_.end() ? 0 : it->second},
                       {"f", RecordToJson(*f)}});
  }
  for (const auto& [counter, c] : changes_)
    if (c.removed)
      records.push_back({{"t", "del"},
                         {"id", c.file_id},
                         {"d", c.drive_id},
                         {"c", counter},
                         {"time", c.time_ms}});
  records.insert(records.end(), extra.begin(), extra.end());
  return journal_->Compact(records);
}

}  // namespace gdmount::emulator
