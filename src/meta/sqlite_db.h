// A thin, non-throwing C++ layer over one SQLite connection: Db (open,
// pragmas, exec, a cache of prepared statements), Stmt (bind, step, read
// columns) and Transaction (BEGIN IMMEDIATE ... COMMIT, rollback on scope
// exit). Internal to src/meta; sqlite3.h itself is included only by the .cc.
//
// Error mapping (every Status message names the database path and SQLite's
// own message): SQLITE_CORRUPT and SQLITE_NOTADB -> Corruption; I/O, disk
// full, cannot open, read-only, permission, busy/locked -> Io; anything
// else (SQL errors, constraint violations, misuse) -> Internal, since it
// is a bug in this module rather than a condition of the machine.
//
// Thread safety: thread-compatible. A Db and its statements must be used by
// one thread at a time (MetadataStore serializes them with its mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "gdmount/result.h"
#include "gdmount/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gdmount::meta {

class Db;

// A prepared statement borrowed from Db's cache for one use. Bind
// parameters are 1-based, columns 0-based. Destroying a Stmt resets it and
// clears its bindings so the cache can hand it out again.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt();
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binding errors are remembered and returned by the next Step()/Run().
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, const std::string& value);
  Stmt& Bind(int index, const std::optional<int64_t>& value);  // NULL if none
  Stmt& BindBool(int index, bool value) { return Bind(index, value ? 1 : 0); }

  // true: a row is available to read; false: the statement is done.
  Result<bool> Step();
  // Steps until done, ignoring rows (for INSERT/UPDATE/DELETE).
  Status Run();

  int64_t Int(int column) const;
  bool Bool(int column) const { return Int(column) != 0; }
  std::string Text(int column) const;  // "" for NULL
  std::optional<int64_t> OptionalInt(int column) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;  // SQLITE_OK
};

class Db {
 public:
  // Opens or creates `path` (":memory:" for a private in-memory database)
  // and sets WAL journaling, synchronous=NORMAL, foreign keys and a busy
  // timeout. The parent directory must exist.
  // Errors: Corruption if the file is not a (sound) SQLite database; Io
  // otherwise.
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();  // finalizes cached statements, closes the connection
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more ';'-separated statements, discarding rows.
  Status Exec(const std::string& sql);
  // Returns the cached statement for `sql`, preparing it on first use.
  // REQUIRES: `sql` is a single statement; the previous Stmt for the same
  // text has been destroyed (statements are not reentrant).
  Result<Stmt> Prepare(const char* sql);

  // The Status for SQLite result code `rc` while doing `what`.
  Status Error(int rc, const std::string& what) const;
  const std::string& path() const { return path_; }
  // Whether a transaction is open (SQLite ends one by itself after some
  // errors, e.g. SQLITE_FULL).
  bool InTransaction() const;
  // The rowid of the last successful INSERT on this connection.
  int64_t LastInsertRowid() const;

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Configure();

  sqlite3* db_;
  const std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so a transaction never
// fails half-way with SQLITE_BUSY on lock upgrade). Rolls back on
// destruction unless Commit() succeeded.
class Transaction {
 public:
  // Errors: as Db::Exec.
  static Result<Transaction> Begin(Db* db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept
      : db_(other.db_), done_(other.done_) {
    other.done_ = true;
  }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Errors: as Db::Exec; the transaction is rolled back then.
  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
  bool done_ = false;
};

}  // namespace gdmount::meta
