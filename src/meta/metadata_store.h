// MetadataStore: gdmount's local copy of Drive's metadata, in SQLite. The
// only code in gdmount that knows SQL.
//
// Design note. Data flows in from Drive (a folder's complete listing via
// ReplaceChildren, single items via Upsert, the change feed via Upsert and
// Remove) and out to the VFS (Get/GetByIno/Children/Trashed/Listing). The
// VFS answers lookup, getattr and readdir from here; it lists a folder from
// Drive only while Listing(folder).complete is false.
//
// Invariants:
//   - Inode numbers are stable: the first time an id is seen it gets the
//     next unused number (2, 3, ...); it keeps that number forever, across
//     Remove and re-adding and across reopening the database. Numbers are
//     never reused. The root gets FUSE_ROOT_ID (1).
//   - An entry's parent is the first element of DriveFile::parents ("" for
//     the root and for orphans), except that ReplaceChildren files its
//     children under the folder it lists.
//   - Trashed entries stay stored (they are listed by Trashed(), for
//     .Trash) but are not Children() of their folder.
//   - Every call is one short transaction: readers never see half of a
//     ReplaceChildren, and a crash loses at most whole calls.
//
// Thread safety: thread-safe; one internal mutex serializes every call
// over one SQLite connection. Lock order: InodeTable -> Inode -> Handle ->
// MetadataStore; no other lock is taken while holding this one.
//
// Errors (every method): Io when the disk fails (message names the
// database path and SQLite's reason), Corruption when the file is damaged,
// Internal for a bug in this module.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "gdmount/drive_types.h"
#include "gdmount/result.h"
#include "gdmount/status.h"
#include "meta/entry.h"
#include "meta/local_change_log.h"
#include "meta/schema.h"
#include "meta/upload_journal.h"

namespace gdmount::meta {

class Db;

inline constexpr uint64_t kRootIno = 1;  // FUSE_ROOT_ID

class MetadataStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private
  // in-memory one; otherwise the parent directory must exist) with WAL
  // journaling, synchronous=NORMAL, foreign keys and a busy timeout, and
  // migrates it to kSchemaVersion.
  // Errors: Corruption (with the path) if the file is not a sound SQLite
  // database; NotSupported if it was written by a newer gdmount (schema
  // version above kSchemaVersion); Io otherwise.
  static Result<std::unique_ptr<MetadataStore>> Open(const std::string& path);
  // Open, with `migrations` instead of SchemaMigrations().
  static Result<std::unique_ptr<MetadataStore>> OpenWithMigrationsForTest(
      const std::string& path, const std::vector<Migration>& migrations);
  ~MetadataStore();

  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Records `root` (what files.get("root") or the configured root folder
  // returned) as the root: it gets inode 1, parent "", and Root() returns
  // it. Setting the same id again only updates its metadata. Setting a
  // different id moves inode 1 to it: the previous root's row is dropped
  // and it gets a new number if it is seen again (a changed root is a
  // different mount; callers normally use one database per root).
  // Errors: InvalidArgument if root.id is empty.
  Status SetRoot(const drive::DriveFile& root);
  // The root's entry; nullopt before SetRoot (or after Remove of the root).
  Result<std::optional<Entry>> Root();

  // Inserts or updates `files` in one transaction, allocating inode
  // numbers for new ids. The parent is parents[0] ("" if none; always ""
  // for the root). Listing state is not changed. The ids are stamped as
  // stored here (LocalChangeLog::Stored): a listing already under way
  // keeps them though it did not list them (a file moved into the folder
  // meanwhile).
  // Errors: InvalidArgument if a file has an empty id (nothing is stored).
  Status Upsert(const std::vector<drive::DriveFile>& files);

  // Stores a complete listing of folder `parent_id` (Drive's
  // "'<id>' in parents and trashed = false"), in one transaction: upserts
  // `children` with parent `parent_id`, removes the non-trashed entries
  // filed under `parent_id` that are not in `children` (they moved or were
  // deleted; trashed ones are kept for .Trash), and marks the listing
  // complete as of `fetched_ms`. Does not cascade into removed folders.
  // Errors: InvalidArgument if parent_id or a child's id is empty.
  Status ReplaceChildren(const std::string& parent_id,
                         const std::vector<drive::DriveFile>& children,
                         int64_t fetched_ms);
  // The same result in parts, so a large listing is stored page by page as
  // it arrives instead of held whole: StoreListingPart upserts one page of
  // children with parent `parent_id` (one transaction, listing state
  // unchanged); FinishListing, given the ids of every child the listing
  // returned, removes the other non-trashed entries filed under
  // `parent_id` and marks the listing complete (one transaction). Until
  // then the listing is not complete, so readers do not trust it; a
  // listing abandoned half-way leaves extra but true entries that the next
  // complete listing settles.
  // Errors: InvalidArgument if parent_id or a child's id is empty.
  // `stored`, if given, receives the entries as stored (inode numbers
  // included), so a caller can show the listing without reading it back;
  // on error it may hold part of them. `mark` is BeginChangeRead() taken before
  // the listing began: items removed here since are not stored again.
  Status StoreListingPart(const std::string& parent_id,
                          const std::vector<drive::DriveFile>& children,
                          std::vector<Entry>* stored = nullptr,
                          uint64_t mark = LocalChangeLog::kLatest);
  // FinishListing keeps the entries stored (Upsert) after `mark`.
  Status FinishListing(const std::string& parent_id,
                       const std::vector<std::string>& listed_ids,
                       int64_t fetched_ms,
                       uint64_t mark = LocalChangeLog::kLatest);
  // {false, 0} for a folder never listed.
  Result<ListingState> Listing(const std::string& parent_id);
  // Marks the listing incomplete (fetched_ms is kept), so the next lookup
  // lists the folder again. A no-op for a folder never listed.
  Status InvalidateListing(const std::string& parent_id);
  // The same for every folder (the change feed lost its place).
  Status InvalidateAllListings();

  // nullopt if `id` / `ino` has no stored entry.
  Result<std::optional<Entry>> Get(const std::string& id);
  Result<std::optional<Entry>> GetByIno(uint64_t ino);
  // The stored entries of `ids`, in that order; unknown ids are skipped.
  Result<std::vector<Entry>> GetMany(const std::vector<std::string>& ids);
  // The non-trashed entries filed under `parent_id`, ordered by name
  // (bytewise), then id. Empty if none (whether or not the folder is known).
  Result<std::vector<Entry>> Children(const std::string& parent_id);
  // Every trashed entry, explicitly or implicitly (inside a trashed folder;
  // see Entry::explicitly_trashed), ordered by name, then id.
  Result<std::vector<Entry>> Trashed();

  // Drops the entry for `id` and its listing state; keeps its inode number.
  // Does not cascade to its children. Removing an unknown id succeeds.
  // A local removal (LocalChangeLog): listings and change pages fetched before
  // it do not bring the item back; with `drive_may_gain` (a create of it
  // may still reach Drive) none do until SettleRemoval(id).
  Status Remove(const std::string& id, bool drive_may_gain = false);
  void SettleRemoval(const std::string& id);
  // A reader that stores a listing or change page fetched from Drive, or
  // asks ChangedSince, takes its mark here before it fetches and gives it
  // back when done (LocalChangeLog::BeginRead/EndRead): local changes are
  // recorded only while some reader may ask about them.
  uint64_t BeginChangeRead();
  void EndChangeRead(uint64_t mark);
  // The ids removed or stored (but by listings) after `mark`, a mark of
  // BeginChangeRead still under way (or a later `*now`); false if the list
  // is partial (LocalChangeLog::ChangedSince). `*now` is the mark the list
  // runs to.
  bool ChangedSince(uint64_t mark, std::vector<std::string>* ids,
                    uint64_t* now);
  // Whether this mount removed `id` (recently: see LocalChangeLog).
  bool RemovedHere(const std::string& id);

  // The inode number of `id`, allocating one if it has none yet.
  // Errors: InvalidArgument if `id` is empty.
  Result<uint64_t> InodeFor(const std::string& id);
  // The id that owns `ino`; nullopt if no id has it.
  Result<std::optional<std::string>> IdForIno(uint64_t ino);

  // --- local changes and the upload journal (meta/upload_journal.h) -----
  //
  // While an id has a journal row, the local entry is the truth: Upsert,
  // listings and the change feed leave its entry alone (and a listing that
  // lacks it, because Drive has not seen it yet, does not remove it).

  // Writes `file` as a local change (filed under `parent_id`), even if the
  // id has a journal row, which then gets a new generation (`file`'s
  // metadata, its modification time included, is for the next upload to
  // apply). Returns the entry as stored.
  Result<Entry> PutLocal(const drive::DriveFile& file,
                         const std::string& parent_id);
  // The same, but only while `file.id` has a journal row (the upload then
  // carries the change): false, and nothing written, once its upload
  // finished (the caller then changes it on Drive itself). One
  // transaction, so the uploader cannot finish in between.
  Result<bool> PutLocalIfJournaled(const drive::DriveFile& file,
                                   const std::string& parent_id);
  // Journals new content for u.id and, in the same transaction, stores the
  // local entry `local`. Returns the row's new generation.
  Result<int64_t> CommitUpload(const PendingUpload& u,
                               const drive::DriveFile& local);
  Result<std::optional<PendingUpload>> GetUpload(const std::string& id);
  // Every row, oldest commit first.
  Result<std::vector<PendingUpload>> PendingUploads();
  Result<int64_t> PendingUploadCount();
  // At most `limit` rows after seq `after_seq` whose retry time has come by
  // `now_ms`, oldest commit first: the uploader pages through these rather
  // than reading the whole journal for each pick.
  Result<std::vector<PendingUpload>> DueUploads(int64_t now_ms,
                                                int64_t after_seq,
                                                int64_t limit);
  // The earliest retry time after `now_ms`; nullopt if no row waits.
  Result<std::optional<int64_t>> NextUploadDue(int64_t now_ms);
  // The journaled new files (creates) of folder `parent_id`.
  Result<std::vector<PendingUpload>> NewFilesIn(const std::string& parent_id);
  Status SaveUploadSession(const std::string& id, int64_t generation,
                           const std::string& session_uri, int64_t confirmed);
  // Before an upload attempt sends bytes with `md5` (see
  // PendingUpload::sent_md5).
  Status MarkUploadSending(const std::string& id, const std::string& md5);
  Status RecordUploadFailure(const std::string& id, int64_t generation,
                             const std::string& error, int64_t not_before_ms);
  enum class UploadOutcome {
    kDone,        // that generation was the last: row gone, entry = Drive's
    kSuperseded,  // newer content is journaled; it now builds on `uploaded`
    kDropped,     // the row is gone (the file was deleted meanwhile)
  };
  // Records that generation `generation` of `id` reached Drive as
  // `uploaded`, in one transaction.
  Result<UploadOutcome> CompleteUpload(const std::string& id,
                                       int64_t generation,
                                       const drive::DriveFile& uploaded);
  // An upload reached Drive as `uploaded` but was not the journaled bytes
  // (the staging file changed under it): the row stays, building on what
  // Drive has now, so the retry is not taken for someone else's change.
  Status RebaseUpload(const std::string& id, const drive::DriveFile& uploaded);
  // Forgets the journal row of `id` (its local bytes are no longer wanted).
  // `dropped`, if given, receives the row as it was (nullopt if there was
  // none), read in the same transaction.
  Status DropUpload(const std::string& id,
                    std::optional<PendingUpload>* dropped = nullptr);
  // A journaled file was renamed or moved: its row (with a new
  // generation, so an upload in flight is not the last word) and its local
  // entry take the new parent and name, in one transaction. nullopt, and
  // nothing changed, if `id` has no row (its upload finished: Drive has it
  // where the store says, and the caller moves it there).
  Result<std::optional<Entry>> MoveUpload(const std::string& id,
                                          const std::string& parent_id,
                                          const std::string& name);
  // An upload attempt found on Drive bytes this mount sent earlier (their
  // answer lost, say in a crash): later edits build on them
  // (upload_journal::SetBase).
  Status AdoptUploadBase(const std::string& id, int64_t version,
                         const std::string& md5);

  // --- the change feed (vfs/change_feed.h) -------------------------------
  //
  // Applies one page of changes.list, in order, and saves `next_token` (the
  // page's nextPageToken or newStartPageToken) as the change token, all in
  // one transaction: a crash resumes at this page or the next, and
  // applying a page twice is harmless (each change carries the file's
  // latest state). A change is applied to an id that is stored, or that
  // Drive files in a stored folder (a new item where this mount can show
  // it); others are outside what this mount shows and skipped. Removed
  // (deleted, or access lost) entries are dropped; trashed ones stay
  // stored as trashed; a change older than the stored entry (a lower
  // version) is skipped. Ids with a journal row are left alone: the local
  // version wins until its upload, whose conflict check keeps both.
  // Returns the changes that changed a stored entry.
  // Items removed here after `mark` (BeginChangeRead() taken before the page
  // was fetched) are not stored again.
  Result<std::vector<AppliedChange>> ApplyChanges(
      const std::vector<drive::Change>& changes, const std::string& next_token,
      uint64_t mark = LocalChangeLog::kLatest);
  // The change feed's saved page token (changes.list).
  Status SetChangeToken(const std::string& token);
  // nullopt until SetChangeToken.
  Result<std::optional<std::string>> ChangeToken();

  // The schema version of the open database.
  int schema_version() const { return schema_version_; }

 private:
  MetadataStore(std::unique_ptr<Db> db, int schema_version,
                std::string root_id);

  // The `settings` key of the change token.
  static constexpr const char* kChangeTokenKey = "change_token";

  // All *Locked: REQUIRES mu_ held.
  // Appends the stored entry to *stored when given.
  Status UpsertLocked(const drive::DriveFile& file,
                      const std::string& parent_id,
                      std::vector<Entry>* stored = nullptr);
  Status BindRootInoLocked(const std::string& id);
  // Removes the non-trashed entries filed under parent_id not in `listed`,
  // but those stored here after `mark`.
  Status RemoveVanishedLocked(const std::string& parent_id,
                              const std::unordered_set<std::string>& listed,
                              uint64_t mark);
  Status UpsertChildrenLocked(const std::string& parent_id,
                              const std::vector<drive::DriveFile>& children,
                              uint64_t mark, std::vector<Entry>* stored);
  Status MarkListedLocked(const std::string& parent_id, int64_t fetched_ms);
  Status RemoveLocked(const std::string& id);
  // Whether Drive-sourced writes must leave `id` alone (it has a journal
  // row).
  Result<bool> LocalWinsLocked(const std::string& id);
  Status SetSettingLocked(const std::string& key, const std::string& value);

  std::mutex mu_;
  std::unique_ptr<Db> db_;  // GUARDED_BY(mu_)
  std::string root_id_;     // GUARDED_BY(mu_); "" before SetRoot
  const int schema_version_;
  LocalChangeLog local_changes_;  // GUARDED_BY(mu_)
};

// A BeginChangeRead mark held for the lifetime of the object.
class ChangeRead {
 public:
  explicit ChangeRead(MetadataStore* store)
      : store_(store), mark_(store->BeginChangeRead()) {}
  ~ChangeRead() { store_->EndChangeRead(mark_); }
  ChangeRead(const ChangeRead&) = delete;
  ChangeRead& operator=(const ChangeRead&) = delete;

  uint64_t mark() const { return mark_; }

 private:
  MetadataStore* const store_;
  const uint64_t mark_;
};

}  // namespace gdmount::meta
