#include "vfs/tree.h"

#include <algorithm>

#include "gdmount/log.h"

namespace gdmount::vfs {

Tree::Tree(meta::MetadataStore* store, drive::DriveClient* client, Clock* clock,
           ExportMap exports)
    : store_(store),
      client_(client),
      clock_(clock),
      exports_(std::move(exports)) {}

Status Tree::Init() {
  auto root = client_->GetFile("root");
  if (!root.ok()) return root.status();
  Status s = store_->SetRoot(*root);
  if (!s.ok()) return s;
  root_id_ = root->id;
  return Status::Ok();
}

uint64_t Tree::listings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return listings_;
}

Status Tree::ListFromDrive(const std::string& folder_id) {
  auto files = client_->ListChildren(folder_id);
  if (!files.ok()) return files.status();
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       clock_->SystemNow().time_since_epoch())
                       .count();
  GDMOUNT_LOG(kDebug) << "listed folder " << folder_id << ": " << files->size()
                      << " entries";
  return store_->ReplaceChildren(folder_id, *files, now_ms);
}

Result<Tree::ViewPtr> Tree::BuildView(const std::string& folder_id) {
  auto entries = store_->Children(folder_id);
  if (!entries.ok()) return entries.status();
  std::vector<NameInput> inputs;
  inputs.reserve(entries->size());
  for (const meta::Entry& e : *entries)
    inputs.push_back(NameInput{e.id, e.name, e.mime_type, e.created_ms});
  std::vector<std::string> names = DisplayNames(inputs, exports_);
  auto view = std::make_shared<FolderView>();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;  // hidden (no export format)
    view->children.push_back(
        Child{std::move(names[i]), std::move((*entries)[i])});
  }
  std::sort(view->children.begin(), view->children.end(),
            [](const Child& a, const Child& b) { return a.name < b.name; });
  for (size_t i = 0; i < view->children.size(); ++i)
    view->index.emplace(view->children[i].name, i);
  return ViewPtr(std::move(view));
}

Result<Tree::ViewPtr> Tree::View(const std::string& folder_id) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto it = views_.find(folder_id);
    if (it != views_.end()) return it->second;
    if (!listing_.count(folder_id)) break;
    listed_.wait(lock);  // another thread is listing this folder
  }
  listing_[folder_id] = true;
  lock.unlock();

  // Listed in an earlier run (or by another path): the store has it.
  Status s;
  auto state = store_->Listing(folder_id);
  if (!state.ok()) {
    s = state.status();
  } else if (!state->complete) {
    s = ListFromDrive(folder_id);
  }
  Result<ViewPtr> view = s.ok() ? BuildView(folder_id) : Result<ViewPtr>(s);

  lock.lock();
  listing_.erase(folder_id);
  if (view.ok()) views_[folder_id] = *view;
  if (s.ok() && state.ok() && !state->complete) ++listings_;
  listed_.notify_all();
  return view;
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
  auto it = (*view)->index.find(name);
  if (it == (*view)->index.end()) return std::optional<Child>();
  return std::optional<Child>((*view)->children[it->second]);
}

Status Tree::Invalidate(const std::string& folder_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    views_.erase(folder_id);
  }
  return store_->InvalidateListing(folder_id);
}

}  // namespace gdmount::vfs
