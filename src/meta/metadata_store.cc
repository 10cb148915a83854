#include "meta/metadata_store.h"

#include <unordered_set>
#include <utility>

#include "meta/entries_table.h"
#include "meta/sqlite_db.h"

namespace gdmount::meta {
namespace {

constexpr const char* kRootIdKey = "root_id";

constexpr const char* kSelectId = "SELECT id FROM inodes WHERE ino = ?";
// Deleting an inode row cascades to its entry (the only inode rows ever
// deleted are the root's, when the root changes).
constexpr const char* kFreeRootIno = "DELETE FROM inodes WHERE ino = 1";
constexpr const char* kFreeIdIno = "DELETE FROM inodes WHERE id = ?";
constexpr const char* kBindRootIno =
    "INSERT INTO inodes(ino, id) VALUES (1, ?)";

constexpr const char* kSelectListing =
    "SELECT complete, fetched_ms FROM listings WHERE parent_id = ?";
constexpr const char* kMarkListed =
    "INSERT INTO listings(parent_id, complete, fetched_ms) VALUES (?1, 1, ?2) "
    "ON CONFLICT(parent_id) DO UPDATE SET complete = 1, fetched_ms = ?2";
constexpr const char* kInvalidateListing =
    "UPDATE listings SET complete = 0 WHERE parent_id = ?";
constexpr const char* kDeleteListing =
    "DELETE FROM listings WHERE parent_id = ?";

constexpr const char* kSelectSetting =
    "SELECT value FROM settings WHERE key = ?";
constexpr const char* kUpsertSetting =
    "INSERT INTO settings(key, value) VALUES (?1, ?2) "
    "ON CONFLICT(key) DO UPDATE SET value = ?2";

// Runs one statement that takes a single text parameter and returns no
// rows.
Status RunWith(Db* db, const char* sql, const std::string& param) {
  auto stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, param).Run();
}

// The first column of the first row of `sql` (one text parameter), as text.
Result<std::optional<std::string>> SelectText(Db* db, const char* sql,
                                              const std::string& param) {
  auto stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, param).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

Status CheckIds(const std::vector<drive::DriveFile>& files) {
  for (const drive::DriveFile& f : files) {
    if (f.id.empty()) return InvalidArgumentError("Drive file without an id");
  }
  return Status::Ok();
}

}  // namespace

// --- opening ---------------------------------------------------------------

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(
    const std::string& path) {
  return OpenWithMigrationsForTest(path, SchemaMigrations());
}

Result<std::unique_ptr<MetadataStore>> MetadataStore::OpenWithMigrationsForTest(
    const std::string& path, const std::vector<Migration>& migrations) {
  auto db = Db::Open(path);
  if (!db.ok()) return db.status();
  Result<int> version = Migrate(db->get(), migrations);
  if (!version.ok()) return version.status();
  auto root = SelectText(db->get(), kSelectSetting, kRootIdKey);
  if (!root.ok()) return root.status();
  return std::unique_ptr<MetadataStore>(new MetadataStore(
      std::move(*db), *version, root->value_or(std::string())));
}

MetadataStore::MetadataStore(std::unique_ptr<Db> db, int schema_version,
                             std::string root_id)
    : db_(std::move(db)),
      root_id_(std::move(root_id)),
      schema_version_(schema_version) {}

MetadataStore::~MetadataStore() = default;

// --- root ------------------------------------------------------------------

Status MetadataStore::SetRoot(const drive::DriveFile& root) {
  if (root.id.empty()) return InvalidArgumentError("root without an id");
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Status s = BindRootInoLocked(root.id);
  if (s.ok()) s = WriteEntry(db_.get(), root, "").status();
  if (s.ok()) s = SetSettingLocked(kRootIdKey, root.id);
  if (s.ok()) s = txn->Commit();
  if (s.ok()) root_id_ = root.id;
  return s;
}

Status MetadataStore::BindRootInoLocked(const std::string& id) {
  {
    auto stmt = db_->Prepare(kSelectId);
    if (!stmt.ok()) return stmt.status();
    Result<bool> row = stmt->Bind(1, static_cast<int64_t>(kRootIno)).Step();
    if (!row.ok()) return row.status();
    if (*row && stmt->Text(0) == id) return Status::Ok();
  }
  // Inode 1 changes hands: the old root's entry goes with its inode row,
  // and the new root gives up any number it had.
  Status s = db_->Exec(kFreeRootIno);
  if (s.ok()) s = RunWith(db_.get(), kFreeIdIno, id);
  if (s.ok()) s = RunWith(db_.get(), kBindRootIno, id);
  return s;
}

Result<std::optional<Entry>> MetadataStore::Root() {
  std::lock_guard<std::mutex> lock(mu_);
  if (root_id_.empty()) return std::optional<Entry>();
  return ReadEntryById(db_.get(), root_id_);
}

// --- writes ----------------------------------------------------------------

Status MetadataStore::UpsertLocked(const drive::DriveFile& file,
                                   const std::string& parent_id,
                                   std::vector<Entry>* stored) {
  Result<bool> local = LocalWinsLocked(file.id);
  if (!local.ok()) return local.status();
  if (*local) {
    // Pending local content: keep the local entry (and show it).
    Result<std::optional<Entry>> mine = ReadEntryById(db_.get(), file.id);
    if (!mine.ok()) return mine.status();
    if (stored && mine->has_value()) stored->push_back(std::move(**mine));
    return Status::Ok();
  }
  // Drive's version only grows: an older one was fetched before this mount
  // stored newer state (a move or rename it made meanwhile), and writing
  // it would put the item back where it was (a folder listing fetched
  // before a move out of it showed the file there again).
  if (file.version > 0) {
    Result<std::optional<Entry>> now = ReadEntryById(db_.get(), file.id);
    if (!now.ok()) return now.status();
    if (now->has_value() && (*now)->version > file.version) {
      if (stored) stored->push_back(std::move(**now));
      return Status::Ok();
    }
  }
  // The root has no parent, even when it is a folder inside the Drive.
  Result<Entry> e =
      WriteEntry(db_.get(), file, file.id == root_id_ ? "" : parent_id);
  if (!e.ok()) return e.status();
  if (stored) stored->push_back(std::move(*e));
  return Status::Ok();
}

Status MetadataStore::Upsert(const std::vector<drive::DriveFile>& files) {
  Status valid = CheckIds(files);
  if (!valid.ok()) return valid;
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  for (const drive::DriveFile& f : files) {
    Status s = UpsertLocked(f, f.parents.empty() ? "" : f.parents.front());
    if (!s.ok()) return s;
  }
  Status s = txn->Commit();
  if (!s.ok()) return s;
  for (const drive::DriveFile& f : files) local_changes_.Stored(f.id);
  return Status::Ok();
}

Status MetadataStore::ReplaceChildren(
    const std::string& parent_id, const std::vector<drive::DriveFile>& children,
    int64_t fetched_ms) {
  if (parent_id.empty()) return InvalidArgumentError("listing without parent");
  Status valid = CheckIds(children);
  if (!valid.ok()) return valid;
  std::unordered_set<std::string> listed;
  listed.reserve(children.size());
  for (const drive::DriveFile& child : children) listed.insert(child.id);
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Status s = RemoveVanishedLocked(parent_id, listed, LocalChangeLog::kLatest);
  if (s.ok())
    s = UpsertChildrenLocked(parent_id, children, LocalChangeLog::kLatest,
                             nullptr);
  if (s.ok()) s = MarkListedLocked(parent_id, fetched_ms);
  if (!s.ok()) return s;
  return txn->Commit();
}

Status MetadataStore::StoreListingPart(
    const std::string& parent_id, const std::vector<drive::DriveFile>& children,
    std::vector<Entry>* stored, uint64_t mark) {
  if (parent_id.empty()) return InvalidArgumentError("listing without parent");
  Status valid = CheckIds(children);
  if (!valid.ok()) return valid;
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  if (stored) stored->reserve(stored->size() + children.size());
  Status s = UpsertChildrenLocked(parent_id, children, mark, stored);
  if (!s.ok()) return s;
  return txn->Commit();
}

Status MetadataStore::FinishListing(const std::string& parent_id,
                                    const std::vector<std::string>& listed_ids,
                                    int64_t fetched_ms, uint64_t mark) {
  if (parent_id.empty()) return InvalidArgumentError("listing without parent");
  std::unordered_set<std::string> listed(listed_ids.begin(), listed_ids.end());
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Status s = RemoveVanishedLocked(parent_id, listed, mark);
  if (s.ok()) s = MarkListedLocked(parent_id, fetched_ms);
  if (!s.ok()) return s;
  return txn->Commit();
}

Status MetadataStore::UpsertChildrenLocked(
    const std::string& parent_id, const std::vector<drive::DriveFile>& children,
    uint64_t mark, std::vector<Entry>* stored) {
  for (const drive::DriveFile& child : children) {
    // Listed before this mount removed it: not brought back.
    if (local_changes_.Hides(child.id, mark)) continue;
    Status s = UpsertLocked(child, parent_id, stored);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status MetadataStore::MarkListedLocked(const std::string& parent_id,
                                       int64_t fetched_ms) {
  auto mark = db_->Prepare(kMarkListed);
  if (!mark.ok()) return mark.status();
  return mark->Bind(1, parent_id).Bind(2, fetched_ms).Run();
}

Status MetadataStore::RemoveVanishedLocked(
    const std::string& parent_id, const std::unordered_set<std::string>& listed,
    uint64_t mark) {
  auto stored = ReadChildIds(db_.get(), parent_id);
  if (!stored.ok()) return stored.status();
  for (const std::string& id : *stored) {
    if (listed.count(id) != 0) continue;
    // Moved in here after the listing was fetched.
    if (local_changes_.StoredSince(id, mark)) continue;
    // Not on Drive yet (or not as Drive lists it): the journal decides.
    Result<bool> local = LocalWinsLocked(id);
    if (!local.ok()) return local.status();
    if (*local) continue;
    Status s = RemoveLocked(id);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status MetadataStore::RemoveLocked(const std::string& id) {
  Status s = DeleteEntry(db_.get(), id);
  // A folder that is gone (or moved) must be listed again when next seen.
  if (s.ok()) s = RunWith(db_.get(), kDeleteListing, id);
  return s;
}

Status MetadataStore::Remove(const std::string& id, bool drive_may_gain) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Status s = RemoveLocked(id);
  if (s.ok()) s = txn->Commit();
  if (!s.ok()) return s;
  local_changes_.Removed(id, drive_may_gain);
  return Status::Ok();
}

void MetadataStore::SettleRemoval(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  local_changes_.Settle(id);
}

bool MetadataStore::RemovedHere(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return local_changes_.Contains(id);
}

uint64_t MetadataStore::BeginChangeRead() {
  std::lock_guard<std::mutex> lock(mu_);
  return local_changes_.BeginRead();
}

void MetadataStore::EndChangeRead(uint64_t mark) {
  std::lock_guard<std::mutex> lock(mu_);
  local_changes_.EndRead(mark);
}

bool MetadataStore::ChangedSince(uint64_t mark, std::vector<std::string>* ids,
                                 uint64_t* now) {
  std::lock_guard<std::mutex> lock(mu_);
  *now = local_changes_.Mark();
  return local_changes_.ChangedSince(mark, ids);
}

// --- listings --------------------------------------------------------------

Result<ListingState> MetadataStore::Listing(const std::string& parent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(kSelectListing);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, parent_id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return ListingState();
  return ListingState{stmt->Bool(0), stmt->Int(1)};
}

Status MetadataStore::InvalidateListing(const std::string& parent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return RunWith(db_.get(), kInvalidateListing, parent_id);
}

Status MetadataStore::InvalidateAllListings() {
  std::lock_guard<std::mutex> lock(mu_);
  return db_->Exec("UPDATE listings SET complete = 0");
}

// --- reads -----------------------------------------------------------------

Result<std::optional<Entry>> MetadataStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadEntryById(db_.get(), id);
}

Result<std::optional<Entry>> MetadataStore::GetByIno(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadEntryByIno(db_.get(), ino);
}

Result<std::vector<Entry>> MetadataStore::GetMany(
    const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    auto e = ReadEntryById(db_.get(), id);
    if (!e.ok()) return e.status();
    if (e->has_value()) out.push_back(std::move(**e));
  }
  return out;
}

Result<std::vector<Entry>> MetadataStore::Children(
    const std::string& parent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadChildren(db_.get(), parent_id);
}

Result<std::vector<Entry>> MetadataStore::Trashed() {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadTrashed(db_.get());
}

// --- local changes and the upload journal ---------------------------------

Result<bool> MetadataStore::LocalWinsLocked(const std::string& id) {
  if (schema_version_ < 2) return false;  // no journal (tests of old schemas)
  return upload_journal::Has(db_.get(), id);
}

Result<Entry> MetadataStore::PutLocal(const drive::DriveFile& file,
                                      const std::string& parent_id) {
  if (file.id.empty()) return InvalidArgumentError("local file without an id");
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Result<Entry> e =
      WriteEntry(db_.get(), file, file.id == root_id_ ? "" : parent_id);
  if (!e.ok()) return e.status();
  if (schema_version_ >= 2) {
    Status s = upload_journal::Bump(db_.get(), file.id, file.modified_ms);
    if (!s.ok()) return s;
  }
  Status s = txn->Commit();
  if (!s.ok()) return s;
  local_changes_.Stored(file.id);
  return e;
}

Result<bool> MetadataStore::PutLocalIfJournaled(const drive::DriveFile& file,
                                                const std::string& parent_id) {
  if (file.id.empty()) return InvalidArgumentError("local file without an id");
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Result<bool> has = upload_journal::Has(db_.get(), file.id);
  if (!has.ok()) return has.status();
  if (!*has) return false;
  Result<Entry> e =
      WriteEntry(db_.get(), file, file.id == root_id_ ? "" : parent_id);
  if (!e.ok()) return e.status();
  Status s = upload_journal::Bump(db_.get(), file.id, file.modified_ms);
  if (s.ok()) s = txn->Commit();
  if (!s.ok()) return s;
  local_changes_.Stored(file.id);
  return true;
}

Result<int64_t> MetadataStore::CommitUpload(const PendingUpload& u,
                                            const drive::DriveFile& local) {
  if (u.id.empty() || u.id != local.id)
    return InvalidArgumentError("upload journal row without a matching id");
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Result<int64_t> generation = upload_journal::Commit(db_.get(), u);
  if (!generation.ok()) return generation.status();
  Result<Entry> e = WriteEntry(db_.get(), local, u.parent_id);
  if (!e.ok()) return e.status();
  Status s = txn->Commit();
  if (!s.ok()) return s;
  local_changes_.Stored(u.id);
  return generation;
}

Result<std::optional<PendingUpload>> MetadataStore::GetUpload(
    const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::Get(db_.get(), id);
}

Result<std::vector<PendingUpload>> MetadataStore::PendingUploads() {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::All(db_.get());
}

Result<int64_t> MetadataStore::PendingUploadCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::Count(db_.get());
}

Result<std::vector<PendingUpload>> MetadataStore::DueUploads(int64_t now_ms,
                                                             int64_t after_seq,
                                                             int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::Due(db_.get(), now_ms, after_seq, limit);
}

Result<std::optional<int64_t>> MetadataStore::NextUploadDue(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::NextDue(db_.get(), now_ms);
}

Result<std::vector<PendingUpload>> MetadataStore::NewFilesIn(
    const std::string& parent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::CreatesIn(db_.get(), parent_id);
}

Status MetadataStore::SaveUploadSession(const std::string& id,
                                        int64_t generation,
                                        const std::string& session_uri,
                                        int64_t confirmed) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::SaveSession(db_.get(), id, generation, session_uri,
                                     confirmed);
}

Status MetadataStore::MarkUploadSending(const std::string& id,
                                        const std::string& md5) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::MarkSending(db_.get(), id, md5);
}

Status MetadataStore::RecordUploadFailure(const std::string& id,
                                          int64_t generation,
                                          const std::string& error,
                                          int64_t not_before_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::RecordFailure(db_.get(), id, generation, error,
                                       not_before_ms);
}

Result<MetadataStore::UploadOutcome> MetadataStore::CompleteUpload(
    const std::string& id, int64_t generation,
    const drive::DriveFile& uploaded) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  auto row = upload_journal::Get(db_.get(), id);
  if (!row.ok()) return row.status();
  UploadOutcome outcome;
  Status s;
  if (!row->has_value()) {
    outcome = UploadOutcome::kDropped;
  } else if ((*row)->generation != generation) {
    outcome = UploadOutcome::kSuperseded;
    s = upload_journal::Rebase(db_.get(), id, uploaded.version, uploaded.md5);
  } else {
    outcome = UploadOutcome::kDone;
    s = upload_journal::Delete(db_.get(), id);
    if (s.ok()) {
      const std::string parent = uploaded.parents.empty()
                                     ? (*row)->parent_id
                                     : uploaded.parents.front();
      s = WriteEntry(db_.get(), uploaded, id == root_id_ ? "" : parent)
              .status();
    }
  }
  if (s.ok()) s = txn->Commit();
  if (!s.ok()) return s;
  // Out of the journal, the entry is Drive's now: a listing fetched before
  // the upload landed (which does not list a new file) must keep it.
  if (outcome == UploadOutcome::kDone) local_changes_.Stored(id);
  return outcome;
}

Status MetadataStore::RebaseUpload(const std::string& id,
                                   const drive::DriveFile& uploaded) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::Rebase(db_.get(), id, uploaded.version, uploaded.md5);
}

Status MetadataStore::DropUpload(const std::string& id,
                                 std::optional<PendingUpload>* dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  if (dropped) {
    auto row = upload_journal::Get(db_.get(), id);
    if (!row.ok()) return row.status();
    *dropped = std::move(*row);
  }
  Status s = upload_journal::Delete(db_.get(), id);
  if (!s.ok()) return s;
  return txn->Commit();
}

Result<std::optional<Entry>> MetadataStore::MoveUpload(
    const std::string& id, const std::string& parent_id,
    const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  Result<bool> has = upload_journal::Has(db_.get(), id);
  if (!has.ok()) return has.status();
  if (!*has) return std::optional<Entry>();
  Status s = upload_journal::Move(db_.get(), id, parent_id, name);
  if (!s.ok()) return s;
  Result<std::optional<Entry>> stored = ReadEntryById(db_.get(), id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value())
    return Status(StatusCode::kInternal, "journaled " + id + " has no entry");
  drive::DriveFile moved = FromEntry(**stored);
  moved.name = name;
  moved.parents = {parent_id};
  Result<Entry> e = WriteEntry(db_.get(), moved, parent_id);
  if (!e.ok()) return e.status();
  s = txn->Commit();
  if (!s.ok()) return s;
  local_changes_.Stored(id);
  return std::optional<Entry>(std::move(*e));
}

Status MetadataStore::AdoptUploadBase(const std::string& id, int64_t version,
                                      const std::string& md5) {
  std::lock_guard<std::mutex> lock(mu_);
  return upload_journal::SetBase(db_.get(), id, version, md5);
}

// --- inodes ----------------------------------------------------------------

Result<uint64_t> MetadataStore::InodeFor(const std::string& id) {
  if (id.empty()) return InvalidArgumentError("inode for an empty id");
  std::lock_guard<std::mutex> lock(mu_);
  // Usually the id is known (a read); a new one is allocated (a write).
  return AllocateInode(db_.get(), id);
}

Result<std::optional<std::string>> MetadataStore::IdForIno(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(kSelectId);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, static_cast<int64_t>(ino)).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

// --- settings --------------------------------------------------------------

Status MetadataStore::SetSettingLocked(const std::string& key,
                                       const std::string& value) {
  auto stmt = db_->Prepare(kUpsertSetting);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, key).Bind(2, value).Run();
}

Status MetadataStore::SetChangeToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  return SetSettingLocked(kChangeTokenKey, token);
}

Result<std::optional<std::string>> MetadataStore::ChangeToken() {
  std::lock_guard<std::mutex> lock(mu_);
  return SelectText(db_.get(), kSelectSetting, kChangeTokenKey);
}

}  // namespace gdmount::meta
