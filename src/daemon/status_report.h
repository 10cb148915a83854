// What `gdmount status` shows (and the daemon logs on SIGUSR1): one JSON
// document collected from the running mount's parts, and its text form.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "cache/content_cache.h"
#include "cache/uploader.h"
#include "drive/drive_client_impl.h"
#include "meta/metadata_store.h"
#include "vfs/change_feed.h"
#include "vfs/tree.h"

namespace gdmount::daemon {

// The last warnings and errors the daemon logged (already redacted).
// Thread-safe.
class RecentErrors {
 public:
  static constexpr size_t kKeep = 10;
  void Add(int64_t unix_ms, const std::string& message);
  nlohmann::json ToJson() const;

 private:
  mutable std::mutex mu_;
  std::deque<std::pair<int64_t, std::string>> items_;  // GUARDED_BY(mu_)
};

struct StatusSources {
  std::string mountpoint;
  std::string account;
  std::string root;  // "My Drive", a shared drive's or folder's name
  bool read_only = false;
  int64_t started_ms = 0;
  int64_t cache_budget = 0;
  int64_t cache_max_files = 0;  // as the cache applies it
  cache::ContentCache* cache = nullptr;
  meta::MetadataStore* store = nullptr;
  cache::Uploader* uploader = nullptr;  // null on a read-only mount
  drive::DriveClientImpl* client = nullptr;
  vfs::ChangeFeed* feed = nullptr;
  vfs::Tree* tree = nullptr;
  int64_t max_view_entries = 0;
  const RecentErrors* errors = nullptr;
};

nlohmann::json CollectStatus(const StatusSources& s);
// Several lines for a terminal.
std::string FormatStatus(const nlohmann::json& status);

}  // namespace gdmount::daemon
