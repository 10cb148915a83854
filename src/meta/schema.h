// The metadata database schema and its migrations.
//
// Design: the schema is an ordered list of migrations, version 1..N, each
// one SQL script. The database records the version it is at in a one-row
// table `schema_version` (absent = 0, a new database). Opening applies every
// migration above the recorded version, each in its own transaction
// together with the version bump, so a crash mid-upgrade leaves the
// database at the last fully applied version. A database at a version above
// N was written by a newer gdmount and is refused rather than guessed at.
// Migrations are append-only: a released script is never edited.
//
// Schema v1 (see schema.cc for the SQL):
//   inodes(ino, id)         id -> inode number, never deleted, so a Drive id
//                           keeps its inode forever; ino 1 is reserved for
//                           the root, allocation starts at 2.
//   entries(id, parent_id, name, ...)  one row per Drive item; index on
//                           (parent_id, name) serves lookups and listings.
//   listings(parent_id, complete, fetched_ms)  per-folder listing state.
//   settings(key, value)    root id, change-feed page token.
//
// Thread safety: functions here use the given Db; see Db.
#pragma once

#include <string>
#include <vector>

#include "gdmount/result.h"
#include "meta/sqlite_db.h"

namespace gdmount::meta {

struct Migration {
  int version;      // 1, 2, ... in order
  std::string sql;  // ';'-separated statements
};

// The migrations this build knows; their last version is kSchemaVersion.
const std::vector<Migration>& SchemaMigrations();
inline constexpr int kSchemaVersion = 3;

// Brings `db` up to the last version in `migrations` and returns the
// version it is at.
// REQUIRES: `migrations` numbered 1, 2, ... without gaps.
// Errors: NotSupported if the database's version is newer than the last
// migration; InvalidArgument for a malformed list; otherwise as Db::Exec
// (a failed migration is rolled back and the database keeps its version).
Result<int> Migrate(Db* db, const std::vector<Migration>& migrations);

}  // namespace gdmount::meta
