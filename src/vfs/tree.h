// Tree: the Drive folder hierarchy as the filesystem shows it.
//
// Design note. A folder is listed once with files.list ("'<id>' in parents
// and trashed = false", pageSize 1000, every page) and stored in the
// metadata store; from then on its children, lookups of a name in it and
// negative lookups are answered locally, with no API call. Concurrent
// requests for the same unlisted folder share one listing (single flight).
// The display names of a listed folder (vfs/name_rules.h) are computed once
// per listing and kept in memory as a FolderView, so a lookup is a map
// find, not a walk of the folder.
//
// Thread safety: thread-safe. The internal mutex guards only the view and
// in-flight maps; listings run without it.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gdmount/clock.h"
#include "gdmount/drive_client.h"
#include "meta/metadata_store.h"
#include "vfs/name_rules.h"

namespace gdmount::vfs {

// One child as shown: its display name and its stored entry.
struct Child {
  std::string name;
  meta::Entry entry;
};

class Tree {
 public:
  // The pointers must outlive the Tree.
  Tree(meta::MetadataStore* store, drive::DriveClient* client, Clock* clock,
       ExportMap exports);

  // Fetches the root folder (files.get "root") and records it.
  // Errors: the Drive call's.
  Status Init();
  const std::string& root_id() const { return root_id_; }
  const ExportMap& exports() const { return exports_; }

  // Children of a folder, in display-name order; hidden items left out.
  // Lists the folder first if it has not been listed.
  Result<std::vector<Child>> List(const std::string& folder_id);
  // The same, shared and immutable: no copy of a large folder per call.
  Result<std::shared_ptr<const std::vector<Child>>> ListShared(
      const std::string& folder_id);
  // The child called `name`; nullopt if there is none (answered locally
  // once the folder is listed).
  Result<std::optional<Child>> Lookup(const std::string& folder_id,
                                      const std::string& name);
  // Forgets the listing: the next List/Lookup lists again.
  Status Invalidate(const std::string& folder_id);

  uint64_t listings() const;  // files.list listings run (for tests, stats)

 private:
  struct FolderView {
    std::vector<Child> children;          // display-name order
    std::map<std::string, size_t> index;  // display name -> children[i]
  };
  using ViewPtr = std::shared_ptr<const FolderView>;

  Result<ViewPtr> View(const std::string& folder_id);
  Result<ViewPtr> BuildView(const std::string& folder_id);
  Status ListFromDrive(const std::string& folder_id);

  meta::MetadataStore* store_;
  drive::DriveClient* client_;
  Clock* clock_;
  const ExportMap exports_;
  std::string root_id_;

  mutable std::mutex mu_;
  std::condition_variable listed_;
  std::map<std::string, ViewPtr> views_;  // GUARDED_BY(mu_)
  std::map<std::string, bool> listing_;   // GUARDED_BY(mu_): in flight
  uint64_t listings_ = 0;                 // GUARDED_BY(mu_)
};

}  // namespace gdmount::vfs
