#include "meta/upload_journal.h"

#include "meta/sqlite_db.h"

namespace gdmount::meta::upload_journal {
namespace {

#define GDMOUNT_UPLOAD_COLUMNS                                     \
  "id, generation, seq, create_file, parent_id, name, mime_type, " \
  "staging_path, size, md5, modified_ms, base_version, base_md5, " \
  "session_uri, confirmed, attempts, last_error, not_before_ms, sent_md5"

constexpr const char* kSelectOne =
    "SELECT " GDMOUNT_UPLOAD_COLUMNS " FROM uploads WHERE id = ?";
constexpr const char* kSelectAll =
    "SELECT " GDMOUNT_UPLOAD_COLUMNS " FROM uploads ORDER BY seq";
constexpr const char* kInsert =
    "INSERT OR REPLACE INTO uploads(" GDMOUNT_UPLOAD_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, '', "
    "0, 0, '', 0, "
    // An upload of the replaced generation may be in flight or have
    // reached Drive: what it sent is still this mount's own.
    "coalesce((SELECT sent_md5 FROM uploads WHERE id = ?1), ''))";
// The uploader's pick: due rows in commit order, a page at a time, so that
// a journal of 10,000 rows is not read whole for every upload.
constexpr const char* kSelectDue =
    "SELECT " GDMOUNT_UPLOAD_COLUMNS
    " FROM uploads "
    "WHERE seq > ?1 AND not_before_ms <= ?2 ORDER BY seq LIMIT ?3";
constexpr const char* kSelectNextDue =
    "SELECT coalesce(min(not_before_ms), -1) FROM uploads "
    "WHERE not_before_ms > ?1";
// New files of one folder (a listing shows them before Drive has them).
constexpr const char* kSelectCreatesIn =
    "SELECT " GDMOUNT_UPLOAD_COLUMNS
    " FROM uploads "
    "WHERE parent_id = ?1 AND create_file = 1 ORDER BY seq";
#undef GDMOUNT_UPLOAD_COLUMNS

constexpr const char* kHas = "SELECT 1 FROM uploads WHERE id = ?";
constexpr const char* kCount = "SELECT count(*) FROM uploads";
// Generations come from one counter kept in `settings`, so they never
// repeat, not even for an id whose row was deleted and journaled again: an
// upload in flight from before can never be mistaken for the newer row.
constexpr const char* kNextGeneration =
    "INSERT INTO settings(key, value) VALUES ('upload_generation', '1') "
    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 "
    "RETURNING CAST(value AS INTEGER)";
constexpr const char* kNextSeq =
    "SELECT coalesce(max(seq), 0) + 1 FROM uploads";
constexpr const char* kDelete = "DELETE FROM uploads WHERE id = ?";
constexpr const char* kSaveSession =
    "UPDATE uploads SET session_uri = ?3, confirmed = ?4 "
    "WHERE id = ?1 AND generation = ?2";
constexpr const char* kMarkSending =
    "UPDATE uploads SET sent_md5 = ?2 WHERE id = ?1";
constexpr const char* kRecordFailure =
    "UPDATE uploads SET attempts = attempts + 1, last_error = ?3, "
    "not_before_ms = ?4 WHERE id = ?1 AND generation = ?2";
constexpr const char* kRebase =
    "UPDATE uploads SET create_file = 0, base_version = ?2, base_md5 = ?3, "
    "session_uri = '', confirmed = 0 WHERE id = ?1";
constexpr const char* kSetBase =
    "UPDATE uploads SET base_version = ?2, base_md5 = ?3 WHERE id = ?1";
// A new generation: an upload in flight under the old name is then not the
// last word, and the next one applies the new name and parent.
constexpr const char* kBump =
    "UPDATE uploads SET generation = ?2, modified_ms = "
    "CASE WHEN ?3 > 0 THEN ?3 ELSE modified_ms END WHERE id = ?1";
constexpr const char* kMove =
    "UPDATE uploads SET parent_id = ?2, name = ?3, generation = ?4 "
    "WHERE id = ?1";

PendingUpload Read(const Stmt& r) {
  PendingUpload u;
  u.id = r.Text(0);
  u.generation = r.Int(1);
  u.seq = r.Int(2);
  u.create = r.Bool(3);
  u.parent_id = r.Text(4);
  u.name = r.Text(5);
  u.mime_type = r.Text(6);
  u.staging_path = r.Text(7);
  u.size = r.Int(8);
  u.md5 = r.Text(9);
  u.modified_ms = r.Int(10);
  u.base_version = r.Int(11);
  u.base_md5 = r.Text(12);
  u.session_uri = r.Text(13);
  u.confirmed = r.Int(14);
  u.attempts = r.Int(15);
  u.last_error = r.Text(16);
  u.not_before_ms = r.Int(17);
  u.sent_md5 = r.Text(18);
  return u;
}

Result<int64_t> SelectInt(Db* db, const char* sql, const std::string* param) {
  auto stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  if (param) stmt->Bind(1, *param);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->Int(0) : int64_t{0};
}

}  // namespace

Result<int64_t> NextGeneration(Db* db) {
  return SelectInt(db, kNextGeneration, nullptr);
}

Result<int64_t> Commit(Db* db, const PendingUpload& u) {
  Result<int64_t> next = NextGeneration(db);
  if (!next.ok()) return next.status();
  Result<int64_t> seq = SelectInt(db, kNextSeq, nullptr);
  if (!seq.ok()) return seq.status();
  const int64_t generation = *next;
  auto stmt = db->Prepare(kInsert);
  if (!stmt.ok()) return stmt.status();
  Status s = stmt->Bind(1, u.id)
                 .Bind(2, generation)
                 .Bind(3, *seq)
                 .BindBool(4, u.create)
                 .Bind(5, u.parent_id)
                 .Bind(6, u.name)
                 .Bind(7, u.mime_type)
                 .Bind(8, u.staging_path)
                 .Bind(9, u.size)
                 .Bind(10, u.md5)
                 .Bind(11, u.modified_ms)
                 .Bind(12, u.base_version)
                 .Bind(13, u.base_md5)
                 .Run();
  if (!s.ok()) return s;
  return generation;
}

Result<std::optional<PendingUpload>> Get(Db* db, const std::string& id) {
  auto stmt = db->Prepare(kSelectOne);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<PendingUpload>();
  return std::optional<PendingUpload>(Read(*stmt));
}

namespace {

Result<std::vector<PendingUpload>> Rows(Stmt& stmt) {
  std::vector<PendingUpload> out;
  while (true) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(Read(stmt));
  }
}

}  // namespace

Result<std::vector<PendingUpload>> All(Db* db) {
  auto stmt = db->Prepare(kSelectAll);
  if (!stmt.ok()) return stmt.status();
  return Rows(*stmt);
}

Result<int64_t> Count(Db* db) { return SelectInt(db, kCount, nullptr); }

Result<std::vector<PendingUpload>> Due(Db* db, int64_t now_ms,
                                       int64_t after_seq, int64_t limit) {
  auto stmt = db->Prepare(kSelectDue);
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, after_seq).Bind(2, now_ms).Bind(3, limit);
  return Rows(*stmt);
}

Result<std::optional<int64_t>> NextDue(Db* db, int64_t now_ms) {
  auto stmt = db->Prepare(kSelectNextDue);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Bind(1, now_ms).Step();
  if (!row.ok()) return row.status();
  if (!*row || stmt->Int(0) < 0) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt->Int(0));
}

Result<std::vector<PendingUpload>> CreatesIn(Db* db,
                                             const std::string& parent_id) {
  auto stmt = db->Prepare(kSelectCreatesIn);
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, parent_id);
  return Rows(*stmt);
}

Result<bool> Has(Db* db, const std::string& id) {
  auto stmt = db->Prepare(kHas);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id).Step();
}

Status Delete(Db* db, const std::string& id) {
  auto stmt = db->Prepare(kDelete);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id).Run();
}

Status SaveSession(Db* db, const std::string& id, int64_t generation,
                   const std::string& session_uri, int64_t confirmed) {
  auto stmt = db->Prepare(kSaveSession);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id)
      .Bind(2, generation)
      .Bind(3, session_uri)
      .Bind(4, confirmed)
      .Run();
}

Status MarkSending(Db* db, const std::string& id, const std::string& md5) {
  auto stmt = db->Prepare(kMarkSending);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id).Bind(2, md5).Run();
}

Status RecordFailure(Db* db, const std::string& id, int64_t generation,
                     const std::string& error, int64_t not_before_ms) {
  auto stmt = db->Prepare(kRecordFailure);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id)
      .Bind(2, generation)
      .Bind(3, error)
      .Bind(4, not_before_ms)
      .Run();
}

Status Rebase(Db* db, const std::string& id, int64_t base_version,
              const std::string& base_md5) {
  auto stmt = db->Prepare(kRebase);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id).Bind(2, base_version).Bind(3, base_md5).Run();
}

Status SetBase(Db* db, const std::string& id, int64_t base_version,
               const std::string& base_md5) {
  auto stmt = db->Prepare(kSetBase);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id).Bind(2, base_version).Bind(3, base_md5).Run();
}

Status Bump(Db* db, const std::string& id, int64_t modified_ms) {
  auto has = Has(db, id);
  if (!has.ok() || !*has) return has.status();
  Result<int64_t> next = NextGeneration(db);
  if (!next.ok()) return next.status();
  auto stmt = db->Prepare(kBump);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id).Bind(2, *next).Bind(3, modified_ms).Run();
}

Status Move(Db* db, const std::string& id, const std::string& parent_id,
            const std::string& name) {
  Result<int64_t> next = NextGeneration(db);
  if (!next.ok()) return next.status();
  auto stmt = db->Prepare(kMove);
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, id)
      .Bind(2, parent_id)
      .Bind(3, name)
      .Bind(4, *next)
      .Run();
}

}  // namespace gdmount::meta::upload_journal
