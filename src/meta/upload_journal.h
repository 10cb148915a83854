// The upload journal's rows (table `uploads`, schema v2): files whose local
// content has been accepted by close()/fsync but is not yet on Drive. Plain
// values and the SQL that reads and writes them; MetadataStore exposes them
// under its lock.
//
// One row per Drive id. A file created locally gets its Drive id before
// Drive knows it (pre-generated with files.generateIds), so the journal,
// the entries table, inode numbers and later edits all agree on one id, and
// the uploader's create is idempotent (a replay answers 409).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::meta {

class Db;

struct PendingUpload {
  std::string id;
  // New at every commit (and rename, chmod) of this id, never repeated,
  // so an upload that finishes after a newer commit knows it is not the
  // last word.
  int64_t generation = 0;
  int64_t seq = 0;      // global commit order (oldest first)
  bool create = false;  // Drive has no such file yet
  std::string parent_id;
  std::string name;
  std::string mime_type;
  std::string staging_path;  // the local bytes
  int64_t size = 0;
  std::string md5;  // of the staged bytes at commit
  int64_t modified_ms = 0;
  // The Drive version and md5 the local edits started from (0 and "" for a
  // new file): if Drive's differ at upload time, someone else changed the
  // file meanwhile and the local version is kept as a conflict copy.
  int64_t base_version = 0;
  std::string base_md5;
  // A resumable session in progress, and the bytes Drive confirmed in it.
  std::string session_uri;
  int64_t confirmed = 0;
  int64_t attempts = 0;       // failed attempts since the last commit
  std::string last_error;     // "" if none
  int64_t not_before_ms = 0;  // wall-clock ms; retry no earlier than this
  // The md5 of the bytes the latest upload attempt of this id sent ("" if
  // none), kept across commits: after a crash that lost Drive's answer,
  // Drive having these bytes is this mount's doing, not a conflict.
  std::string sent_md5;
};

// SQL for the store. REQUIRES: the caller holds the store's lock and, for
// writes, an open transaction where noted.
namespace upload_journal {

// Inserts or replaces the row for u.id with a new generation (from a
// counter that never repeats) and the next seq; session, confirmed,
// attempts and error are reset (new content). Returns the generation.
Result<int64_t> Commit(Db* db, const PendingUpload& u);
Result<std::optional<PendingUpload>> Get(Db* db, const std::string& id);
// Every row, oldest commit first.
Result<std::vector<PendingUpload>> All(Db* db);
Result<int64_t> Count(Db* db);
// At most `limit` rows with seq > after_seq due by `now_ms`, oldest commit
// first.
Result<std::vector<PendingUpload>> Due(Db* db, int64_t now_ms,
                                       int64_t after_seq, int64_t limit);
// The earliest retry time after `now_ms`; nullopt if no row waits.
Result<std::optional<int64_t>> NextDue(Db* db, int64_t now_ms);
// The rows of new files (create) in folder `parent_id`, oldest first.
Result<std::vector<PendingUpload>> CreatesIn(Db* db,
                                             const std::string& parent_id);
Result<bool> Has(Db* db, const std::string& id);
Status Delete(Db* db, const std::string& id);
// Updates only if the row still has `generation`.
Status SaveSession(Db* db, const std::string& id, int64_t generation,
                   const std::string& session_uri, int64_t confirmed);
// Records that an upload attempt is sending bytes with `md5` (whatever the
// row's generation is by now: the bytes went out either way).
Status MarkSending(Db* db, const std::string& id, const std::string& md5);
Status RecordFailure(Db* db, const std::string& id, int64_t generation,
                     const std::string& error, int64_t not_before_ms);
// After an upload of an older generation completed: the row's newer
// content now starts from what that upload left on Drive.
Status Rebase(Db* db, const std::string& id, int64_t base_version,
              const std::string& base_md5);
// Drive has bytes this mount sent (`base_md5`) that the row did not know
// as its base: later edits build on them. Session and generation stay.
Status SetBase(Db* db, const std::string& id, int64_t base_version,
               const std::string& base_md5);
// A new generation without new content: the metadata the next upload
// applies changed (an upload in flight is then not the last word).
// `modified_ms` > 0 is the modification time it carries now (touch -m).
Status Bump(Db* db, const std::string& id, int64_t modified_ms);
// A new name or parent, as a new generation (see kMove).
Status Move(Db* db, const std::string& id, const std::string& parent_id,
            const std::string& name);

}  // namespace upload_journal
}  // namespace gdmount::meta
