#include "vfs/tree.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "gdmount/log.h"
#include "vfs/listing_writer.h"

namespace gdmount::vfs {
namespace {

// Deeper than any real Drive tree; a parent cycle in bad data stops here.
constexpr size_t kMaxDepth = 1024;

drive::DriveFile VirtualFolder(const char* id, const char* name,
                               const drive::DriveFile& root) {
  drive::DriveFile f;
  f.id = id;
  f.name = name;
  f.mime_type = drive::kFolderMime;
  f.created_ms = root.created_ms;
  f.modified_ms = root.modified_ms;
  return f;
}

bool IsVirtual(const std::string& id) {
  return id == kTrashId || id == kSharedId;
}

}  // namespace

Tree::Tree(meta::MetadataStore* store, drive::DriveClient* client, Clock* clock,
           TreeOptions options)
    : store_(store),
      client_(client),
      clock_(clock),
      options_(std::move(options)),
      views_(options_.max_view_entries) {}

Status Tree::Init() {
  auto root = client_->GetFile("root");
  if (!root.ok()) return root.status();
  return Init(*root);
}

Status Tree::Init(const drive::DriveFile& root) {
  if (!root.is_folder())
    return InvalidArgumentError(root.name + " (" + root.id +
                                ") is not a folder");
  Status s = store_->SetRoot(root);
  if (!s.ok()) return s;
  root_id_ = root.id;
  // My Drive's root has no parent and no shared drive; a shared drive's
  // root and a chosen folder get no .Trash or .shared.
  my_drive_root_ = root.parents.empty() && root.drive_id.empty();
  std::vector<drive::DriveFile> extra;
  if (my_drive_root_ && options_.show_trash)
    extra.push_back(VirtualFolder(kTrashId, kTrashName, root));
  if (my_drive_root_ && options_.show_shared)
    extra.push_back(VirtualFolder(kSharedId, kSharedName, root));
  return extra.empty() ? Status::Ok() : store_->Upsert(extra);
}

uint64_t Tree::listings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return listings_;
}

Tree::ViewStats Tree::view_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {views_.size(), views_.entries(), views_.evictions()};
}

Tree::ViewPtr Tree::MakeView(std::vector<meta::Entry> entries) const {
  std::vector<NameInput> inputs;
  inputs.reserve(entries.size());
  for (const meta::Entry& e : entries)
    inputs.push_back(NameInput{e.id, e.name, e.mime_type, e.created_ms});
  std::vector<std::string> names = DisplayNames(inputs, options_.exports);
  auto view = std::make_shared<FolderView>();
  // Exact sizes: a view lives long, and growth by doubling would leave up to
  // half of a large folder's vector unused.
  view->children.reserve(static_cast<size_t>(
      std::count_if(names.begin(), names.end(),
                    [](const std::string& n) { return !n.empty(); })));
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;  // hidden (no export format)
    view->children.push_back(Child{std::move(names[i]), std::move(entries[i])});
  }
  std::sort(view->children.begin(), view->children.end(),
            [](const Child& a, const Child& b) { return a.name < b.name; });
  const std::vector<Child>& children = view->children;
  view->by_id.resize(children.size());
  for (size_t i = 0; i < children.size(); ++i)
    view->by_id[i] = static_cast<uint32_t>(i);
  std::sort(view->by_id.begin(), view->by_id.end(),
            [&children](uint32_t a, uint32_t b) {
              return children[a].entry.id < children[b].entry.id;
            });
  return view;
}

const Child* Tree::FolderView::Find(const std::string& name) const {
  auto it = std::lower_bound(
      children.begin(), children.end(), name,
      [](const Child& c, const std::string& n) { return c.name < n; });
  return it != children.end() && it->name == name ? &*it : nullptr;
}

std::optional<size_t> Tree::FolderView::IndexOf(const std::string& id) const {
  auto it = std::lower_bound(by_id.begin(), by_id.end(), id,
                             [this](uint32_t i, const std::string& want) {
                               return children[i].entry.id < want;
                             });
  if (it == by_id.end() || children[*it].entry.id != id) return std::nullopt;
  return *it;
}

Result<std::vector<meta::Entry>> Tree::VirtualFolders() {
  std::vector<meta::Entry> out;
  if (!my_drive_root_) return out;
  for (const char* id : {kTrashId, kSharedId}) {
    auto e = store_->Get(id);
    if (!e.ok()) return e.status();
    if (e->has_value()) out.push_back(std::move(**e));
  }
  return out;
}

// A Drive folder: listed from Drive unless the store has a complete listing
// (from this run or an earlier one).
Result<Tree::ViewPtr> Tree::StoredView(const meta::Entry& folder) {
  auto state = store_->Listing(folder.id);
  if (!state.ok()) return state.status();
  auto t0 = std::chrono::steady_clock::now();
  auto ms = [&t0] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - t0)
        .count();
  };
  if (!state->complete) {
    // Pages are stored as they arrive, while the client fetches the next.
    const int64_t started_ms = UnixMillis(clock_);
    ListingWriter writer(store_, folder.id);
    Status s = client_->ListChildrenEach(
        folder.id, folder.drive_id,
        [&writer](std::vector<drive::DriveFile> files, bool from_start) {
          return writer.Add(std::move(files), from_start);
        });
    // Stamped with the time the listing began: a change made while it ran
    // may be missing from it.
    if (s.ok()) s = writer.Finish(started_ms);
    if (!s.ok()) return s;
    GDMOUNT_LOG(kDebug) << "listed folder " << folder.id << ": "
                        << writer.listed() << " entries in " << ms() << " ms";
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++listings_;
    }
    std::vector<meta::Entry> entries = writer.TakeEntries();
    // Files made here that Drive does not list yet (still journaled).
    Status local = AddLocalOnly(folder.id, &entries);
    if (!local.ok()) return local;
    return FinishView(folder, std::move(entries));
  }
  auto entries = store_->Children(folder.id);
  if (!entries.ok()) return entries.status();
  return FinishView(folder, std::move(*entries));
}

Status Tree::AddLocalOnly(const std::string& folder_id,
                          std::vector<meta::Entry>* entries) {
  auto pending = store_->NewFilesIn(folder_id);
  if (!pending.ok()) return pending.status();
  std::set<std::string> have;
  for (const auto& u : *pending) {
    if (have.empty())
      for (const auto& e : *entries) have.insert(e.id);
    if (have.count(u.id)) continue;
    auto e = store_->Get(u.id);
    if (!e.ok()) return e.status();
    if (e->has_value() && (*e)->parent_id == folder_id) {
      have.insert(u.id);
      entries->push_back(std::move(**e));
    }
  }
  return Status::Ok();
}

// A stored folder's view from its untrashed children (the root also gets
// the virtual folders).
Result<Tree::ViewPtr> Tree::FinishView(const meta::Entry& folder,
                                       std::vector<meta::Entry> entries) {
  if (folder.id == root_id_) {
    auto extra = VirtualFolders();
    if (!extra.ok()) return extra.status();
    for (auto& e : *extra) entries.push_back(std::move(e));
  }
  return MakeView(std::move(entries));
}

// A view Drive has no folder listing for: fetched once per mount; the
// entries are stored (inode numbers, getattr), the membership is not.
Result<Tree::ViewPtr> Tree::FetchedView(const std::string& folder_id,
                                        Source source,
                                        const std::string& drive_id) {
  Result<std::vector<drive::DriveFile>> files =
      source == Source::kTrash ? client_->ListTrashed()
      : source == Source::kShared
          ? client_->ListSharedWithMe()
          : client_->ListTrashedChildren(folder_id, drive_id);
  if (!files.ok()) return files.status();
  if (source == Source::kTrash) {
    // Only what was trashed by itself, and only My Drive's (each shared
    // drive has a trash of its own).
    files->erase(std::remove_if(files->begin(), files->end(),
                                [](const drive::DriveFile& f) {
                                  return !f.explicitly_trashed ||
                                         !f.drive_id.empty();
                                }),
                 files->end());
  }
  Status s = store_->Upsert(*files);
  if (!s.ok()) return s;
  std::vector<std::string> ids;
  ids.reserve(files->size());
  for (const auto& f : *files) ids.push_back(f.id);
  auto entries = store_->GetMany(ids);
  if (!entries.ok()) return entries.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++listings_;
  }
  GDMOUNT_LOG(kDebug) << "listed " << folder_id << ": " << entries->size()
                      << " entries";
  return MakeView(std::move(*entries));
}

Result<Tree::ViewPtr> Tree::LoadView(const std::string& folder_id) {
  if (folder_id == kTrashId) return FetchedView(folder_id, Source::kTrash, "");
  if (folder_id == kSharedId)
    return FetchedView(folder_id, Source::kShared, "");
  auto folder = store_->Get(folder_id);
  if (!folder.ok()) return folder.status();
  if (!folder->has_value())
    return NotFoundError("folder " + folder_id + " is not known");
  if ((*folder)->trashed)
    return FetchedView(folder_id, Source::kTrashedFolder, (*folder)->drive_id);
  return StoredView(**folder);
}

Result<Tree::ViewPtr> Tree::View(const std::string& folder_id) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (ViewPtr kept = views_.Get(folder_id)) return kept;
    if (!listing_.count(folder_id)) break;
    listed_.wait(lock);  // another thread is listing this folder
  }
  listing_[folder_id] = Loading();
  lock.unlock();

  // A change stored while the listing runs finds no view to update, and
  // the listing may hold the item as it was before (a page stored before
  // a rename or a move out: the old name shows beside the new one, or an
  // emptied folder is not empty), or miss it (moved in, or a new file's
  // upload landed after the listing was fetched). The store stamps every
  // change it takes from elsewhere than a listing; those items are then
  // taken as stored now, until a round finds nothing more for this folder.
  const meta::ChangeRead read(store_);  // the store keeps what changes
  uint64_t since = read.mark();
  Result<ViewPtr> view = LoadView(folder_id);
  bool settled = false;
  for (int round = 0; view.ok() && round < 4; ++round) {
    uint64_t next = 0;
    std::vector<std::string> ids;
    if (!store_->ChangedSince(since, &ids, &next)) break;  // too many to know
    bool changed = false;
    view = WithStored(*view, folder_id, ids, &changed);
    if (!changed) {
      settled = true;
      break;
    }
    since = next;
  }

  lock.lock();
  const bool invalidated = listing_[folder_id].invalidated;
  listing_.erase(folder_id);
  // Still changing (or invalidated) while it was built: shown once, not
  // kept; the next use builds it again (from the store, once listed).
  if (view.ok() && settled && !invalidated) views_.Put(folder_id, *view);
  listed_.notify_all();
  lock.unlock();
  // Invalidate() asked for a new listing while this one ran, whose end
  // marked the folder listed: ask again.
  if (invalidated && !IsVirtual(folder_id)) {
    Status s = store_->InvalidateListing(folder_id);
    if (!s.ok()) return s;
  }
  return view;
}

namespace {

std::string Joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

}  // namespace

bool Tree::SameNaming(const FolderView& view,
                      const std::vector<meta::Entry>& entries) {
  for (const meta::Entry& e : entries) {
    const std::optional<size_t> at = view.IndexOf(e.id);
    if (!at) return false;
    const meta::Entry& was = view.children[*at].entry;
    if (was.name != e.name || was.mime_type != e.mime_type ||
        was.created_ms != e.created_ms)
      return false;
  }
  return true;
}

Result<Tree::ViewPtr> Tree::WithStored(const ViewPtr& view,
                                       const std::string& folder_id,
                                       const std::vector<std::string>& ids,
                                       bool* changed) {
  *changed = false;
  if (IsVirtual(folder_id) || ids.empty()) return view;
  // A folder in the trash shows its trashed children, fetched once per
  // mount and read-only: nothing here moves them.
  auto folder = store_->Get(folder_id);
  if (!folder.ok()) return folder.status();
  if (!folder->has_value() || (*folder)->trashed) return view;
  auto stored = store_->GetMany(ids);
  if (!stored.ok()) return stored.status();
  std::unordered_map<std::string, const meta::Entry*> now;
  for (const meta::Entry& e : *stored) now[e.id] = &e;
  std::vector<std::string> drop;
  std::vector<meta::Entry> add;
  for (const std::string& id : ids) {
    const std::optional<size_t> shown = view->IndexOf(id);
    auto it = now.find(id);
    const meta::Entry* e = it == now.end() ? nullptr : it->second;
    const bool belongs = e && !e->trashed && e->parent_id == folder_id;
    if (!shown) {
      if (belongs) add.push_back(*e);
      continue;
    }
    if (!belongs) {
      drop.push_back(id);
    } else if (!(view->children[*shown].entry == *e)) {
      add.push_back(*e);
    }
  }
  if (drop.empty() && add.empty()) return view;
  *changed = true;
  if (drop.empty() && SameNaming(*view, add)) {
    auto swapped = std::make_shared<FolderView>(*view);
    for (meta::Entry& e : add)
      swapped->children[*view->IndexOf(e.id)].entry = std::move(e);
    return ViewPtr(std::move(swapped));
  }
  return Rebuilt(*view, drop, add);
}

Result<std::vector<Child>> Tree::List(const std::string& folder_id) {
  auto view = View(folder_id);
  if (!view.ok()) return view.status();
  return (*view)->children;
}

Result<std::shared_ptr<const std::vector<Child>>> Tree::ListShared(
    const std::string& folder_id) {
  auto view = View(folder_id);
  if (!view.ok()) return view.status();
  // Aliasing constructor: shares ownership of the whole view.
  return std::shared_ptr<const std::vector<Child>>(*view, &(*view)->children);
}

Result<std::optional<Child>> Tree::Lookup(const std::string& folder_id,
                                          const std::string& name) {
  auto view = View(folder_id);
  if (!view.ok()) return view.status();
  const Child* child = (*view)->Find(name);
  if (child == nullptr) return std::optional<Child>();
  return std::optional<Child>(*child);
}

Status Tree::Invalidate(const std::string& folder_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    views_.Erase(folder_id);
    auto loading = listing_.find(folder_id);
    if (loading != listing_.end()) loading->second.invalidated = true;
  }
  if (IsVirtual(folder_id)) return Status::Ok();
  return store_->InvalidateListing(folder_id);
}

void Tree::Forget(const std::string& folder_id) {
  std::lock_guard<std::mutex> lock(mu_);
  views_.Erase(folder_id);
}

void Tree::ShowStored(const std::string& folder_id,
                      const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  const ViewPtr kept = views_.Peek(folder_id);
  // What a wrong listing would have to be traced back through.
  GDMOUNT_LOG(kDebug) << "view of " << folder_id
                      << (kept ? "" : " (not in memory)") << ": stored "
                      << Joined(ids);
  if (!kept) return;
  // Read under the lock: a view update that read the store earlier either
  // replaced the view before this one, or finds it replaced and reads again.
  bool changed = false;
  Result<ViewPtr> view = WithStored(kept, folder_id, ids, &changed);
  if (!view.ok()) {
    // Cannot tell what it shows: built again from the store when next used.
    views_.Erase(folder_id);
    return;
  }
  if (changed) views_.Replace(folder_id, std::move(*view));
}

Tree::ViewPtr Tree::Rebuilt(const FolderView& view,
                            const std::vector<std::string>& drop,
                            const std::vector<meta::Entry>& add) const {
  std::unordered_set<std::string> gone(drop.begin(), drop.end());
  for (const meta::Entry& e : add) gone.insert(e.id);
  std::vector<meta::Entry> entries;
  entries.reserve(view.children.size() + add.size());
  for (const Child& c : view.children)
    if (!gone.count(c.entry.id)) entries.push_back(c.entry);
  entries.insert(entries.end(), add.begin(), add.end());
  return MakeView(std::move(entries));
}

namespace {

// The folder a stored entry is shown in by its Drive parent ("" if none:
// trashed, removed or parentless).
std::string ShownIn(const std::optional<meta::Entry>& e) {
  return e && !e->trashed ? e->parent_id : std::string();
}

// What stat or a read of it would show differently.
bool AttributesChanged(const meta::Entry& a, const meta::Entry& b) {
  return a.size != b.size || a.md5 != b.md5 || a.version != b.version ||
         a.head_revision_id != b.head_revision_id ||
         a.modified_ms != b.modified_ms || a.mode != b.mode || a.uid != b.uid ||
         a.gid != b.gid || a.link_target != b.link_target ||
         a.can_edit != b.can_edit || a.mime_type != b.mime_type;
}

}  // namespace

KernelNotices Tree::ApplyRemote(
    const std::vector<meta::AppliedChange>& changes) {
  KernelNotices out;
  // Per folder: the ids leaving or entering it.
  std::map<std::string, std::vector<std::string>> folders;
  bool trash_changed = false;
  for (const meta::AppliedChange& c : changes) {
    const std::string from = ShownIn(c.before), to = ShownIn(c.after);
    if (!from.empty()) folders[from].push_back(c.id);
    if (!to.empty() && to != from) folders[to].push_back(c.id);
    if (c.before && (!c.after || AttributesChanged(*c.before, *c.after)))
      out.inodes.push_back(c.before->ino);
    trash_changed = trash_changed || (c.before && c.before->trashed) ||
                    (c.after && c.after->trashed);
  }
  for (auto& [folder_id, ids] : folders) {
    auto folder = store_->Get(folder_id);
    const uint64_t folder_ino =
        folder.ok() && folder->has_value() ? (*folder)->ino : 0;
    // The ids as the store has them now, not as the change left them: a
    // local change stored since (a removal, a rename) stands. The new view
    // is built outside the lock (naming a large folder takes a while) and
    // swapped in if no one replaced the old one meanwhile; one who did read
    // the store later.
    ViewPtr old, rebuilt;
    for (int attempt = 0;; ++attempt) {
      std::unique_lock<std::mutex> lock(mu_);
      const ViewPtr kept = views_.Peek(folder_id);
      if (!kept) break;
      if (old == kept && rebuilt) {
        if (rebuilt != old) views_.Replace(folder_id, rebuilt);
        break;
      }
      old = kept;
      const bool busy = attempt >= 3;  // build it under the lock
      if (!busy) lock.unlock();
      bool changed = false;
      Result<ViewPtr> built = WithStored(old, folder_id, ids, &changed);
      if (!built.ok()) {
        if (!busy) lock.lock();
        views_.Erase(folder_id);  // built again from the store when used
        rebuilt = nullptr;
        break;
      }
      rebuilt = std::move(*built);
      if (busy) {
        if (rebuilt != old) views_.Replace(folder_id, rebuilt);
        break;
      }
    }
    std::vector<std::string> names;
    if (!rebuilt || !old) {
      // No view loaded: Drive's names are the best guess of what the
      // kernel was told (display names differ only for duplicates and
      // unusual characters; those expire with the entry timeout).
      for (const meta::AppliedChange& c : changes) {
        if (ShownIn(c.before) == folder_id) names.push_back(c.before->name);
        if (ShownIn(c.after) == folder_id) names.push_back(c.after->name);
      }
    } else {
      // The names that went and came; the duplicate-name rule may also
      // rename a sibling, which the folder's own invalidation covers for
      // listings.
      for (const ViewPtr& v : {old, rebuilt}) {
        for (const std::string& id : ids) {
          if (const std::optional<size_t> at = v->IndexOf(id))
            names.push_back(v->children[*at].name);
        }
      }
    }
    if (folder_ino == 0) continue;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (std::string& n : names)
      out.entries.emplace_back(folder_ino, std::move(n));
    out.inodes.push_back(folder_ino);  // its size, mtime and listing
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (trash_changed) views_.Erase(kTrashId);  // listed again when next opened
  for (const meta::AppliedChange& c : changes) {
    // A folder gone for good takes its view along (its listing went with
    // its entry).
    if (c.before && c.before->is_folder() && !c.after) views_.Erase(c.id);
  }
  return out;
}

Status Tree::InvalidateAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    views_.Clear();
    for (auto& [id, loading] : listing_) loading.invalidated = true;
  }
  return store_->InvalidateAllListings();
}

Result<std::string> Tree::ShownParentOf(const meta::Entry& e) {
  if (IsVirtual(e.id)) return root_id_;
  if (e.trashed) return std::string();  // only .Trash shows it
  if (!e.parent_id.empty()) return e.parent_id;
  // No visible parent: shared with the user, if .shared lists it.
  if (!my_drive_root_ || !options_.show_shared) return std::string();
  auto shared = View(kSharedId);
  if (!shared.ok()) return shared.status();
  if ((*shared)->IndexOf(e.id)) return std::string(kSharedId);
  return std::string();
}

Result<meta::Entry> Tree::EntryOrFetch(const std::string& id) {
  auto stored = store_->Get(id);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return std::move(**stored);
  // Never seen: ask Drive where it is (NotFound if it is gone).
  auto file = client_->GetFile(id);
  if (!file.ok()) return file.status();
  Status s = store_->Upsert({*file});
  if (!s.ok()) return s;
  auto again = store_->Get(id);
  if (!again.ok()) return again.status();
  if (!again->has_value()) return NotFoundError("item " + id + " vanished");
  return std::move(**again);
}

Result<std::vector<std::string>> Tree::PathOf(const std::string& id) {
  // First the chain of (item, folder shown in) up to the root, so nothing
  // is listed for an item that turns out to be outside the mount...
  std::vector<std::pair<std::string, std::string>> chain;
  for (std::string cur = id; cur != root_id_;) {
    if (chain.size() == kMaxDepth)
      return NotFoundError("item " + id + " is nested too deeply");
    auto e = EntryOrFetch(cur);
    if (!e.ok()) return e.status();
    auto parent = ShownParentOf(*e);
    if (!parent.ok()) return parent.status();
    if (parent->empty())
      return NotFoundError(
          "item " + id +
          (e->trashed ? " is in the trash" : " is outside this mount"));
    chain.emplace_back(cur, *parent);
    cur = *parent;
  }
  // ...then the display name of each link, from its folder's view.
  std::vector<std::string> path;
  for (auto link = chain.rbegin(); link != chain.rend(); ++link) {
    auto view = View(link->second);
    if (!view.ok()) return view.status();
    const std::optional<size_t> at = (*view)->IndexOf(link->first);
    if (!at) return NotFoundError("item " + id + " is not shown in its folder");
    path.push_back((*view)->children[*at].name);
  }
  return path;
}

}  // namespace gdmount::vfs
