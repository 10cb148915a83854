#include "tests/emulator/uploads.h"

#include <filesystem>
#include <set>

#include "tests/emulator/ids.h"

namespace gdmount::emulator {
namespace {

std::string NewUploadId() { return "AEnB2U" + RandomUrlSafe(48); }

}  // namespace

nlohmann::json UploadSession::ToJson() const {
  return {{"t", "session"},
          {"id", id},
          {"file_id", file_id},
          {"metadata", metadata},
          {"media_type", media_type},
          {"total", declared_total},
          {"add", add_parents},
          {"remove", remove_parents},
          {"fields", fields},
          {"has_fields", has_fields},
          {"all_drives", scope.supports_all_drives},
          {"created", created_ms},
          {"data", std::filesystem::path(data_path).filename().string()}};
}

UploadSessions::UploadSessions(UploadOptions options,
                               std::shared_ptr<Journal> journal,
                               std::function<int64_t()> now_ms)
    : options_(options),
      journal_(std::move(journal)),
      now_ms_(std::move(now_ms)) {}

Status UploadSessions::Restore() {
  if (!journal_->persistent()) return Status();
  std::map<std::string, nlohmann::json> live;
  Status s = journal_->Replay([&](const nlohmann::json& r) {
    std::string t = r.value("t", "");
    if (t == "session") live[r.value("id", "")] = r;
    if (t == "session_end") live.erase(r.value("id", ""));
  });
  if (!s.ok()) return s;
  std::set<std::string> data_files;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : live) {
    auto sess = std::make_shared<UploadSession>();
    sess->id = id;
    sess->file_id = r.value("file_id", "");
    sess->metadata = r.value("metadata", nlohmann::json::object());
    sess->media_type = r.value("media_type", "");
    sess->declared_total = r.value("total", int64_t{-1});
    sess->add_parents = r.value("add", "");
    sess->remove_parents = r.value("remove", "");
    sess->fields = r.value("fields", "");
    sess->has_fields = r.value("has_fields", false);
    sess->scope.supports_all_drives = r.value("all_drives", false);
    sess->created_ms = r.value("created", int64_t{0});
    sess->data_path = journal_->blob_dir() + "/" + r.value("data", "");
    auto w = BlobWriter::Open(sess->data_path, /*resume=*/true);
    if (!w.ok()) continue;  // data gone: the session is lost, as if expired
    sess->writer = std::move(w.value());
    data_files.insert(r.value("data", ""));
    sessions_[id] = sess;
  }
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(journal_->blob_dir(), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("s-", 0) == 0 && !data_files.count(name))
      std::filesystem::remove(e.path(), ec);
  }
  return Status();
}

Result<std::shared_ptr<UploadSession>> UploadSessions::Create(
    std::shared_ptr<UploadSession> sess) {
  sess->id = NewUploadId();
  sess->created_ms = now_ms_();
  sess->data_path = journal_->blob_dir() + "/s-" + sess->id;
  auto w = BlobWriter::Open(sess->data_path, /*resume=*/false);
  if (!w.ok()) return w.status();
  sess->writer = std::move(w.value());
  journal_->Append(sess->ToJson());
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[sess->id] = sess;
  return sess;
}

std::shared_ptr<UploadSession> UploadSessions::Find(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  if (now_ms_() - it->second->created_ms > options_.session_ttl_ms) {
    std::error_code ec;
    std::filesystem::remove(it->second->data_path, ec);
    journal_->Append({{"t", "session_end"}, {"id", id}});
    sessions_.erase(it);
    return nullptr;
  }
  return it->second;
}

void UploadSessions::Finish(const std::string& id,
                            const std::string& result_id) {
  journal_->Append({{"t", "session_end"}, {"id", id}, {"result", result_id}});
  // Finished sessions stay findable (a status query after a lost final
  // response must still get 200 + the file) until they expire.
  (void)result_id;
}

std::vector<nlohmann::json> UploadSessions::CheckpointRecords() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<nlohmann::json> out;
  for (const auto& [id, s] : sessions_) {
    std::lock_guard<std::mutex> sl(s->mu);
    if (!s->finished) out.push_back(s->ToJson());
  }
  return out;
}

}  // namespace gdmount::emulator
