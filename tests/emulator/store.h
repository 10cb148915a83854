// Store: the emulated Drive — every item, the folder index, the change log,
// shared drives, quota, and their persistence.
//
// Semantics follow reference/drive-v3-protocol.md, not any client:
//   - duplicate names and '/' in names are allowed; an item has <= 1 parent;
//   - trashing a folder implicitly trashes its descendants; trashed items keep
//     their parents; delete is permanent and recursive;
//   - every mutation bumps the item's `version` and appends to the change log;
//     the log keeps only each item's latest change (Drive collapses repeated
//     changes too), so its size is bounded by the number of items;
//   - items in shared drives are invisible without supportsAllDrives.
// The store validates what a request may do (permissions, parents, cycles,
// quota); the HTTP layer (api_*.cc) validates the request's shape.
//
// Thread-safe: one shared mutex; reads share, mutations are exclusive. Blobs
// are handed out by shared_ptr so downloads stream outside the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/emulator/api_error.h"
#include "tests/emulator/journal.h"
#include "tests/emulator/model.h"
#include "tests/emulator/query.h"

namespace gdmount::emulator {

struct StoreOptions {
  std::string user_email = "user@example.com";
  std::string user_name = "Emulated User";
  int64_t quota_limit = 15LL << 30;  // bytes; 0 = unlimited
  std::function<int64_t()> now_ms;   // REQUIRED
  int64_t index_lag_ms = 0;
  QueryContext::NameContains name_contains =
      QueryContext::NameContains::kWordPrefix;
  bool native_files_have_size = true;  // reference: size = storage size
  // Default name of a copy when the request sets none (unverified in Drive).
  std::string copy_name_prefix = "Copy of ";
  // Output-only File fields (from the discovery document): a request body
  // that sets one is refused with 403 fieldNotWritable.
  std::set<std::string> read_only_fields;
};

struct SharedDrive {
  std::string id;  // also the id of its top-level folder
  std::string name;
  int64_t created_ms = 0;
  bool hidden = false;
};

// Visibility switches a request carries.
struct Scope {
  bool supports_all_drives = false;
  bool include_all_drives = false;  // files.list / changes.list
};

struct OrderKey {
  std::string key;  // name, name_natural, folder, modifiedTime, createdTime...
  bool desc = false;
};

struct ListRequest {
  std::optional<Query> q;
  std::vector<OrderKey> order;
  int page_size = 100;
  std::string page_token;
  std::string corpora = "user";
  std::string drive_id;
  std::string spaces = "drive";
  Scope scope;
  bool short_pages = false;  // test knob: return fewer items than asked
};

struct ListPage {
  std::vector<FileRecord> files;
  std::string next_page_token;
  bool incomplete_search = false;
};

struct ChangeView {
  std::string file_id;
  std::string drive_id;
  bool removed = false;
  int64_t time_ms = 0;
  std::optional<FileRecord> file;
};

struct ChangesPage {
  std::vector<ChangeView> changes;
  std::string next_page_token;       // more now
  std::string new_start_page_token;  // end reached
};

struct ChangesRequest {
  std::string page_token;
  int page_size = 100;
  bool include_removed = true;
  bool restrict_to_my_drive = false;
  std::string drive_id;
  Scope scope;
};

// New content for a create or update.
struct NewContent {
  std::shared_ptr<const Blob> blob;
  std::string mime_type;  // of the media part, when the metadata has none
};

struct QuotaView {
  int64_t limit = 0;  // 0 = unlimited
  int64_t usage = 0;
  int64_t usage_in_drive = 0;
  int64_t usage_in_trash = 0;
};

class Store {
 public:
  Store(StoreOptions options, std::shared_ptr<Journal> journal);
  ~Store();

  // Loads the journal (if any); an empty store gets a fresh My Drive root.
  Status Open();
  bool empty() const;  // only the root exists
  // Rewrites the journal as one line per live object (clean shutdown);
  // `extra` lines (upload sessions) are kept after the store's own.
  Status Checkpoint(const std::vector<nlohmann::json>& extra = {});

  const std::string& root_id() const { return root_id_; }
  const StoreOptions& options() const { return options_; }

  // --- reads ---------------------------------------------------------------
  ApiOr<FileRecord> Get(const std::string& id, const Scope& scope) const;
  ApiOr<ListPage> List(const ListRequest& req) const;
  std::vector<SharedDrive> Drives() const;
  ApiOr<SharedDrive> GetDrive(const std::string& id) const;
  QuotaView Quota() const;
  std::string StartPageToken() const;
  ApiOr<ChangesPage> Changes(const ChangesRequest& req) const;
  size_t size() const;

  // --- writes --------------------------------------------------------------
  // `metadata` is the request body (already a JSON object).
  ApiOr<FileRecord> Create(const nlohmann::json& metadata,
                           std::optional<NewContent> content,
                           const Scope& scope);
  ApiOr<FileRecord> Update(const std::string& id,
                           const nlohmann::json& metadata,
                           const std::vector<std::string>& add_parents,
                           const std::vector<std::string>& remove_parents,
                           std::optional<NewContent> content,
                           const Scope& scope);
  ApiOr<FileRecord> Copy(const std::string& id, const nlohmann::json& metadata,
                         const Scope& scope);
  ApiOr<Ok> Delete(const std::string& id, const Scope& scope);
  ApiOr<Ok> EmptyTrash(const std::string& drive_id, const Scope& scope);
  std::vector<std::string> GenerateIds(int count);
  // Checks that `bytes` more would fit in the quota (uploads call this early).
  ApiOr<Ok> CheckQuota(int64_t bytes, const std::string& parent_id) const;

  // --- seeding (no change-log entries; used before serving) ----------------
  std::string SeedFolder(const std::string& parent, const std::string& name);
  std::string SeedFile(const std::string& parent, FileRecord rec);
  std::string SeedSharedDrive(const std::string& name);
  // Seeding helpers to adjust flags after the fact (trashed, read-only).
  bool SeedPatch(const std::string& id,
                 const std::function<void(FileRecord&)>& fn);

  // Test hook (POST /__emulator/share): hands item `id` of My Drive, with its
  // descendants, to another user who shares it back with the user as a
  // viewer: it loses its parent, becomes sharedWithMe (now), and everything
  // becomes read-only and owned by `owner_email`. Each item gets a change.
  // 404 for an unknown id, the root, or a shared-drive item.
  ApiOr<FileRecord> ShareWithMe(const std::string& id,
                                const std::string& owner_email,
                                const std::string& owner_name);

  // Test hook: read-only knob for the index lag etc.
  void set_index_lag_ms(int64_t ms) { options_.index_lag_ms = ms; }
  // The storage quota in bytes (0 = unlimited), changed at run time.
  void set_quota_limit(int64_t bytes) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    options_.quota_limit = bytes;
  }

 private:
  using Lock = std::unique_lock<std::shared_mutex>;
  using SharedLock = std::shared_lock<std::shared_mutex>;

  const FileRecord* Find(const std::string& id) const;  // resolves "root"
  FileRecord* FindMutable(const std::string& id);
  bool Visible(const FileRecord& f, const Scope& scope) const;
  std::string NewId();
  int64_t Now() const { return options_.now_ms(); }
  void Insert(FileRecord rec);
  void Replace(const FileRecord& before, FileRecord after);
  void Erase(const std::string& id);
  void RecordChange(const FileRecord& rec, bool removed);
  void Persist(const FileRecord& rec);
  ApiOr<Ok> ApplyWritable(const nlohmann::json& metadata, bool creating,
                          FileRecord* rec) const;
  ApiOr<std::string> CheckParent(const std::string& parent_id,
                                 const Scope& scope) const;
  bool IsAncestor(const std::string& ancestor, const std::string& id) const;
  void ForEachDescendant(
      const std::string& id,
      const std::function<void(const std::string&)>& fn) const;
  void SetContent(FileRecord* rec, const NewContent& content);
  int64_t UsageOf(const FileRecord& f) const;
  // True if `extra_bytes` more in My Drive would pass the quota.
  bool OverQuota(int64_t extra_bytes) const;
  void ApplyJournalRecord(
      const nlohmann::json& rec,
      std::unordered_map<std::string, std::shared_ptr<const Blob>>* blob_cache);

  StoreOptions options_;
  std::shared_ptr<Journal> journal_;
  mutable std::shared_mutex mu_;
  std::string root_id_;
  std::unordered_map<std::string, FileRecord> files_;  // GUARDED_BY(mu_)
  // parent id -> (seq -> child): listing order and page tokens. Points into
  // files_, whose nodes stay put until erased (Erase drops them here first),
  // so listing a large folder needs no id lookups.
  std::unordered_map<std::string, std::map<uint64_t, const FileRecord*>>
      children_;
  std::map<std::string, SharedDrive> drives_;
  uint64_t next_seq_ = 1;
  // Change log: counter -> change; file id -> its latest counter.
  struct ChangeEntry {
    std::string file_id;
    std::string drive_id;
    bool removed = false;
    int64_t time_ms = 0;
  };
  std::map<uint64_t, ChangeEntry> changes_;
  std::unordered_map<std::string, uint64_t> latest_change_;
  uint64_t next_change_ = 1;
  std::set<std::string> generated_ids_;
  int64_t usage_ = 0;        // owned (My Drive) blob bytes
  int64_t usage_trash_ = 0;  // of which trashed
  uint64_t id_counter_ = 0;
};

}  // namespace gdmount::emulator
