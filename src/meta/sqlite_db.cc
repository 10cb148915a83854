#include "meta/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "gdmount/log.h"

namespace gdmount::meta {
namespace {

// How long a statement waits for another connection's write lock (another
// gdmount process on the same state directory, or a backup tool) before
// failing with Io. Long enough for any transaction of ours (a 100,000-entry
// listing commits in well under a second), short enough to surface a hang.
constexpr int kBusyTimeoutMs = 10'000;

// WAL: readers never block the writer and commits are one append.
// synchronous=NORMAL: in WAL mode a power loss may lose the last commits but
// never corrupts; metadata is a cache of Drive, so that trade is right.
// cache_size: 32 MiB of page cache (negative = KiB) holds a 100,000-entry
// folder's rows and indexes during its one-transaction listing (~25% faster
// than the 2 MiB default); it is a cap, allocated only as pages are used.
constexpr const char* kPragmas =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA cache_size=-32768;";

StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return StatusCode::kIo;
    default:
      return StatusCode::kInternal;
  }
}

// The start of a statement's SQL, enough to tell which one failed.
std::string Abbreviated(sqlite3_stmt* stmt) {
  constexpr size_t kMaxSqlInMessage = 60;
  std::string sql = sqlite3_sql(stmt);
  if (sql.size() <= kMaxSqlInMessage) return sql;
  return sql.substr(0, kMaxSqlInMessage) + "...";
}

}  // namespace

// --- Stmt ------------------------------------------------------------------

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Stmt::Stmt(Stmt&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_rc_(other.bind_rc_) {
  other.stmt_ = nullptr;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int index, const std::string& value) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries may be bound.
  int rc = sqlite3_bind_text(stmt_, index, value.data(),
                             static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int index, const std::optional<int64_t>& value) {
  if (value) return Bind(index, *value);
  int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Stmt::Step() {
  if (bind_rc_ != SQLITE_OK) {
    return db_->Error(bind_rc_, "bind for " + Abbreviated(stmt_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "step " + Abbreviated(stmt_));
}

Status Stmt::Run() {
  while (true) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

int64_t Stmt::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Stmt::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<int64_t> Stmt::OptionalInt(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Int(column);
}

// --- Db --------------------------------------------------------------------

Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the owner serializes all use of the connection itself.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);  // a no-op for nullptr
    return Status(CodeFor(rc),
                  "cannot open metadata database " + path + ": " + why);
  }
  std::unique_ptr<Db> db(new Db(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  Status configured = db->Configure();
  if (!configured.ok()) return configured;
  return db;
}

Status Db::Configure() {
  int rc = sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (rc != SQLITE_OK) return Error(rc, "set busy timeout");
  // SQLite reads the file lazily: a file that is not a database is first
  // noticed here (SQLITE_NOTADB), which maps to Corruption.
  return Exec(kPragmas);
}

Db::~Db() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  // All statements are finalized, so close cannot fail with SQLITE_BUSY.
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    GDMOUNT_LOG(kError) << "closing metadata database " << path_ << ": "
                        << sqlite3_errstr(rc);
  }
}

Status Db::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string why = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return Status(CodeFor(rc), "metadata database " + path_ + ": " + why);
}

Result<Stmt> Db::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return Stmt(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, std::string("prepare ") + sql);
  }
  statements_.emplace(sql, stmt);
  return Stmt(this, stmt);
}

Status Db::Error(int rc, const std::string& what) const {
  // errmsg describes the most recent failure on this connection, which is
  // the one that produced `rc` (the connection is used by one thread).
  return Status(CodeFor(rc), "metadata database " + path_ + ": " +
                                 sqlite3_errmsg(db_) + " (" + what + ")");
}

bool Db::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

// --- Transaction -----------------------------------------------------------

Result<Transaction> Transaction::Begin(Db* db) {
  Status begun = db->Exec("BEGIN IMMEDIATE");
  if (!begun.ok()) return begun;
  return Transaction(db);
}

Transaction::~Transaction() {
  // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
  if (done_ || !db_->InTransaction()) return;
  Status rolled_back = db_->Exec("ROLLBACK");
  if (!rolled_back.ok()) {
    GDMOUNT_LOG(kError) << "rollback: " << rolled_back.ToString();
  }
}

Status Transaction::Commit() {
  Status committed = db_->Exec("COMMIT");
  if (committed.ok()) done_ = true;
  return committed;
}

}  // namespace gdmount::meta
