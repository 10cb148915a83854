// MetadataStore::ApplyChanges: the change feed's pages into the store.
#include "meta/entries_table.h"
#include "meta/metadata_store.h"
#include "meta/sqlite_db.h"

namespace gdmount::meta {

Result<std::vector<AppliedChange>> MetadataStore::ApplyChanges(
    const std::vector<drive::Change>& changes, const std::string& next_token,
    uint64_t mark) {
  for (const drive::Change& c : changes) {
    if (c.file && c.file->id != c.file_id)
      return InvalidArgumentError("change for " + c.file_id +
                                  " carries file '" + c.file->id + "'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  std::vector<AppliedChange> applied;
  std::vector<std::string> removed;  // by the changes, stored or not
  for (const drive::Change& c : changes) {
    // "drive" changes (a shared drive renamed, say) carry no file.
    if (c.change_type == "drive" || c.file_id.empty()) continue;
    Result<bool> local = LocalWinsLocked(c.file_id);
    if (!local.ok()) return local.status();
    if (*local) continue;
    Result<std::optional<Entry>> before = ReadEntryById(db_.get(), c.file_id);
    if (!before.ok()) return before.status();
    if (c.removed || !c.file) {
      removed.push_back(c.file_id);
      if (!before->has_value()) continue;
      Status s = RemoveLocked(c.file_id);
      if (!s.ok()) return s;
      applied.push_back({c.file_id, std::move(*before), std::nullopt});
      continue;
    }
    const drive::DriveFile& f = *c.file;
    const std::string parent = f.parents.empty() ? "" : f.parents.front();
    if (!before->has_value()) {
      // Fetched before this mount removed it: the next page says so.
      if (local_changes_.Hides(c.file_id, mark)) continue;
      // New here: stored only where this mount shows it, in a folder it
      // knows (a trashed new item would only be shown by .Trash, which is
      // listed per mount).
      if (f.trashed || parent.empty()) continue;
      Result<std::optional<Entry>> folder = ReadEntryById(db_.get(), parent);
      if (!folder.ok()) return folder.status();
      if (!folder->has_value() || !(*folder)->is_folder()) continue;
    }
    // UpsertLocked keeps a newer stored version (a page fetched before this
    // mount's own upload or rename finished): the entry then comes back
    // unchanged, as do this mount's own uploads and moves.
    std::vector<Entry> stored;
    Status s = UpsertLocked(f, parent, &stored);
    if (!s.ok()) return s;
    if (stored.empty()) continue;
    if (before->has_value() && **before == stored.back()) continue;
    applied.push_back(
        {c.file_id, std::move(*before), std::move(stored.back())});
  }
  if (!next_token.empty()) {
    Status s = SetSettingLocked(kChangeTokenKey, next_token);
    if (!s.ok()) return s;
  }
  Status committed = txn->Commit();
  if (!committed.ok()) return committed;
  // A listing fetched before these changes must not drop what they put in
  // its folder (a move into it).
  for (const AppliedChange& a : applied)
    if (a.after) local_changes_.Stored(a.id);
  // Nor store again what they removed (deleted for good, or out of reach),
  // stored or not yet: its listing page may still be on the way.
  for (const std::string& id : removed) local_changes_.Removed(id, false);
  return applied;
}

}  // namespace gdmount::meta
