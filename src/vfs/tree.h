// Tree: the Drive folder hierarchy as the filesystem shows it.
//
// Design note. A folder is listed once with files.list ("'<id>' in parents
// and trashed = false", pageSize 1000, every page) and stored in the
// metadata store; from then on its children, lookups of a name in it and
// negative lookups are answered locally, with no API call. Concurrent
// requests for the same unlisted folder share one listing (single flight).
// The display names of a listed folder (vfs/name_rules.h) are computed once
// per listing and kept in memory as a FolderView, so a lookup is a map
// find, not a walk of the folder. Views are kept up to a total number of
// entries (TreeOptions::max_view_entries, vfs/view_cache.h); a folder's
// view dropped for room is rebuilt from the store (no listing), a virtual
// folder's (below) is listed again.
//
// Besides Drive folders there are views that Drive has no folder for, all
// read-only and listed once per mount (their entries are stored for inode
// numbers, their membership is kept in memory only):
//   - ".Trash" at the root: the explicitly trashed items of My Drive;
//     inside it, a trashed folder lists its (trashed) children;
//   - ".shared" at the root: what is shared with the user ("Shared with
//     me"), which My Drive cannot reach without shortcuts.
// Both exist only when the root is My Drive and TreeOptions asks for them.
// They are files with synthetic ids (kTrashId, kSharedId) whose leading '.'
// no Drive id can have. If a real child of the root has the same name, the
// duplicate-name rule renames the real one (the synthetic id sorts first).
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
#include <unordered_map>
#include <utility>
#include <vector>

#include "gdmount/clock.h"
#include "gdmount/drive_client.h"
#include "meta/metadata_store.h"
#include "vfs/name_rules.h"
#include "vfs/view_cache.h"

namespace gdmount::vfs {

// Synthetic ids of the root's extra folders.
inline constexpr const char* kTrashId = ".trash";
inline constexpr const char* kSharedId = ".shared";
inline constexpr const char* kTrashName = ".Trash";
inline constexpr const char* kSharedName = ".shared";

// One child as shown: its display name and its stored entry.
struct Child {
  std::string name;
  meta::Entry entry;
};

// What the kernel must forget after changes made elsewhere: names in
// folders (its dentries, positive or negative) and inodes (attributes,
// cached pages).
struct KernelNotices {
  std::vector<std::pair<uint64_t, std::string>> entries;  // parent ino, name
  std::vector<uint64_t> inodes;
};

struct TreeOptions {
  ExportMap exports = DefaultExportMap();
  // ".Trash" and ".shared" at the root; only when the root is My Drive's.
  bool show_trash = true;
  bool show_shared = true;
  // Children of all folder views kept in memory together (about 1.4 KiB
  // each); past it the least recently used views go (vfs/view_cache.h).
  size_t max_view_entries = 100000;
};

class Tree {
 public:
  // The pointers must outlive the Tree.
  Tree(meta::MetadataStore* store, drive::DriveClient* client, Clock* clock,
       TreeOptions options = {});

  // Records `root` (a folder: My Drive's root, a shared drive's, or any
  // folder) as the root. Errors: InvalidArgument if it is not a folder.
  Status Init(const drive::DriveFile& root);
  // Init with My Drive's root (files.get "root"). Errors: the Drive call's.
  Status Init();
  const std::string& root_id() const { return root_id_; }
  const ExportMap& exports() const { return options_.exports; }

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
  // A folder this mount removed: its view goes (the store dropped its
  // listing with its entry).
  void Forget(const std::string& folder_id);
  // A change this mount made and already stored: the folder's view in
  // memory (no listing) shows each of `ids` as the store has it now (added,
  // updated, moved out or removed). Read from the store, not passed in: a
  // change stored by another thread meanwhile (the change feed, a close)
  // cannot be undone by an older copy of the entry applied after it. A
  // folder whose view is not loaded is left alone (its view is built from
  // the store later); one being loaded takes the ids as stored once its
  // listing is in.
  void ShowStored(const std::string& folder_id,
                  const std::vector<std::string>& ids);

  // Changes from Drive's change feed, already stored (ApplyChanges):
  // every loaded folder view they touch is rebuilt once, showing the ids
  // as the store has them then (like ShowStored; not re-listed; one being
  // loaded takes them once its listing is in), and the names and inodes the
  // kernel may hold stale are returned.
  KernelNotices ApplyRemote(const std::vector<meta::AppliedChange>& changes);
  // Forgets every folder view and listing: after the change feed lost its
  // place, each folder is listed again when next used.
  Status InvalidateAll();

  // The display-name path from the root to item `id` ({} for the root),
  // through ".shared" for items shared with the user. Lists the folders on
  // the way as needed (and fetches the item if it is not stored).
  // NotFound (saying why) when the item is not reachable in this mount:
  // deleted, trashed, hidden, outside the root folder, or in another drive.
  Result<std::vector<std::string>> PathOf(const std::string& id);

  uint64_t listings() const;  // files.list listings run (for tests, stats)
  struct ViewStats {
    size_t views = 0;    // folder views kept in memory
    size_t entries = 0;  // their children, all together
    uint64_t evictions = 0;
  };
  ViewStats view_stats() const;

 private:
  struct FolderView {
    // Display-name order (names are distinct), so a name is found by
    // binary search: no second copy of 100,000 names in a map.
    std::vector<Child> children;
    // Positions in `children` in id order: an id is found by binary search
    // too (4 bytes an entry, where a map from id cost some 150).
    std::vector<uint32_t> by_id;

    const Child* Find(const std::string& name) const;
    // The position of the child with `id`; nullopt if none.
    std::optional<size_t> IndexOf(const std::string& id) const;
  };
  using ViewPtr = std::shared_ptr<const FolderView>;
  // Where a folder's children come from.
  enum class Source {
    kStored,         // a Drive folder: listed once, stored complete
    kTrash,          // .Trash: explicitly trashed items of My Drive
    kShared,         // .shared: shared with the user
    kTrashedFolder,  // a folder in the trash: its trashed children
  };

  Result<ViewPtr> View(const std::string& folder_id);
  Result<ViewPtr> LoadView(const std::string& folder_id);
  Result<ViewPtr> StoredView(const meta::Entry& folder);
  // Appends the journaled new files of `folder_id` missing from `entries`.
  Status AddLocalOnly(const std::string& folder_id,
                      std::vector<meta::Entry>* entries);
  Result<ViewPtr> FinishView(const meta::Entry& folder,
                             std::vector<meta::Entry> entries);
  Result<ViewPtr> FetchedView(const std::string& folder_id, Source source,
                              const std::string& drive_id);
  ViewPtr MakeView(std::vector<meta::Entry> entries) const;
  // `view` without the children whose ids are in `drop`, plus `add` (each
  // replacing the child with its id): one rebuild for a batch.
  ViewPtr Rebuilt(const FolderView& view, const std::vector<std::string>& drop,
                  const std::vector<meta::Entry>& add) const;
  Result<std::vector<meta::Entry>> VirtualFolders();
  // The stored entry, fetched from Drive and stored if it is not there.
  Result<meta::Entry> EntryOrFetch(const std::string& id);
  // The folder `id` is shown in (the root for the virtual folders and for
  // shared items reached through .shared); "" when it is not in the mount.
  Result<std::string> ShownParentOf(const meta::Entry& e);

  meta::MetadataStore* store_;
  drive::DriveClient* client_;
  Clock* clock_;
  const TreeOptions options_;
  std::string root_id_;
  bool my_drive_root_ = false;

  // A folder view being loaded.
  struct Loading {
    bool invalidated = false;  // Invalidate() asked for a new listing
  };
  // `view` with each of `ids` as the store has it now (in `folder_id` or
  // not); *changed tells whether any of them made a difference. Only
  // attributes changed (every close() of a written file): the entries are
  // swapped, the folder is not named and sorted again.
  Result<ViewPtr> WithStored(const ViewPtr& view, const std::string& folder_id,
                             const std::vector<std::string>& ids,
                             bool* changed);
  // Whether each of `entries` is shown in `view` under what the name rules
  // read (name, type, creation time): swapping them in leaves every display
  // name and the order as they are.
  static bool SameNaming(const FolderView& view,
                         const std::vector<meta::Entry>& entries);

  mutable std::mutex mu_;
  std::condition_variable listed_;
  ViewCache<FolderView> views_;             // GUARDED_BY(mu_)
  std::map<std::string, Loading> listing_;  // GUARDED_BY(mu_): in flight
  uint64_t listings_ = 0;                   // GUARDED_BY(mu_)
};

}  // namespace gdmount::vfs
