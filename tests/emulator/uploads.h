// Resumable upload sessions (protocol guide section 5.3).
//
// A session is created by the initiation request and named by an opaque
// upload_id in its URI. Its bytes go to a file in the blob directory as they
// arrive (so a 1 GiB upload never sits in memory); on the final chunk the
// file becomes the new content of a created or updated item. With --state the
// session survives an emulator restart: its description is journaled and its
// received bytes are whatever the file holds. Sessions expire after a TTL
// (404 afterwards, like a week-old Drive session).
// Thread-safe: the registry has a mutex; each session has its own, held while
// one request works on it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/emulator/blob.h"
#include "tests/emulator/journal.h"
#include "tests/emulator/model.h"
#include "tests/emulator/store.h"

namespace gdmount::emulator {

inline constexpr int64_t kUploadChunkQuantum = 256 * 1024;

struct UploadOptions {
  int64_t session_ttl_ms = 7LL * 24 * 3600 * 1000;
  // A non-final chunk that is not a multiple of 256 KiB: false = keep the
  // aligned prefix and answer 308 with a shorter Range (the server "may
  // persist less than was sent"); true = refuse it with 400.
  bool strict_chunks = false;
};

struct UploadSession {
  std::string id;
  std::string file_id;  // update target; empty for a create
  nlohmann::json metadata = nlohmann::json::object();
  std::string media_type;
  int64_t declared_total = -1;  // X-Upload-Content-Length, -1 if unknown
  std::string add_parents, remove_parents;
  std::string fields;
  bool has_fields = false;
  Scope scope;
  int64_t created_ms = 0;
  std::string data_path;

  std::mutex mu;  // held by the request working on this session
  std::unique_ptr<BlobWriter> writer;  // GUARDED_BY(mu)
  bool finished = false;               // GUARDED_BY(mu)
  std::string result_id;               // file id once finished

  int64_t received() const { return writer ? writer->size() : 0; }
  nlohmann::json ToJson() const;
};

class UploadSessions {
 public:
  UploadSessions(UploadOptions options, std::shared_ptr<Journal> journal,
                 std::function<int64_t()> now_ms);

  // Reloads unfinished sessions from the journal; removes stray data files.
  Status Restore();
  // Registers a new session (its writer is opened here).
  Result<std::shared_ptr<UploadSession>> Create(
      std::shared_ptr<UploadSession> proto);
  // nullptr if unknown or expired.
  std::shared_ptr<UploadSession> Find(const std::string& id);
  // The session is done (finished or failed for good).
  void Finish(const std::string& id, const std::string& result_id);
  // Journal lines describing live sessions (for compaction).
  std::vector<nlohmann::json> CheckpointRecords() const;
  const UploadOptions& options() const { return options_; }

 private:
  UploadOptions options_;
  std::shared_ptr<Journal> journal_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<UploadSession>>
      sessions_;  // GUARDED_BY(mu_)
};

}  // namespace gdmount::emulator
