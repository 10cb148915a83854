#include "meta/schema.h"

#include <cstddef>

namespace gdmount::meta {
namespace {

// v1. Text ids are Drive's; times are Unix epoch ms; booleans are 0/1.
// entries is WITHOUT ROWID: it is keyed by Drive id, so the id is the
// clustered key and (parent_id, name) index rows carry it, which makes
// "children ordered by name, then id" a pure index walk.
// entries.id references inodes with ON DELETE CASCADE: the only inode row
// ever deleted is a replaced root's (see MetadataStore::SetRoot).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE inodes (
  ino INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE
);
INSERT INTO sqlite_sequence(name, seq) VALUES ('inodes', 1);
CREATE TABLE entries (
  id TEXT PRIMARY KEY NOT NULL REFERENCES inodes(id) ON DELETE CASCADE,
  parent_id TEXT NOT NULL,
  name TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER,
  md5 TEXT NOT NULL,
  version INTEGER NOT NULL,
  head_revision_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL,
  trashed INTEGER NOT NULL,
  explicitly_trashed INTEGER NOT NULL,
  shortcut_target_id TEXT NOT NULL,
  shortcut_target_mime TEXT NOT NULL,
  drive_id TEXT NOT NULL,
  web_view_link TEXT NOT NULL,
  can_edit INTEGER NOT NULL,
  can_download INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX entries_by_parent_name ON entries(parent_id, name);
CREATE INDEX entries_trashed ON entries(name) WHERE trashed = 1;
CREATE TABLE listings (
  parent_id TEXT PRIMARY KEY NOT NULL,
  complete INTEGER NOT NULL,
  fetched_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// v2: the upload journal (meta/upload_journal.h; WITHOUT ROWID: keyed by
// Drive id like entries; seq orders the uploader's work), and the POSIX
// attributes kept in appProperties (meta/entry.h).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE uploads (
  id TEXT PRIMARY KEY NOT NULL,
  generation INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  create_file INTEGER NOT NULL,
  parent_id TEXT NOT NULL,
  name TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  staging_path TEXT NOT NULL,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  base_version INTEGER NOT NULL,
  base_md5 TEXT NOT NULL,
  session_uri TEXT NOT NULL,
  confirmed INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  not_before_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_seq ON uploads(seq);
ALTER TABLE entries ADD COLUMN mode INTEGER;
ALTER TABLE entries ADD COLUMN uid INTEGER;
ALTER TABLE entries ADD COLUMN gid INTEGER;
ALTER TABLE entries ADD COLUMN link_target TEXT NOT NULL DEFAULT '';
)sql";

// v3: the md5 of the bytes an upload attempt sent (uploads.sent_md5), so a
// run after a crash tells this mount's own lost-answer upload from someone
// else's change.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE uploads ADD COLUMN sent_md5 TEXT NOT NULL DEFAULT '';
)sql";

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";

// The recorded version; 0 for a new database.
Result<int> CurrentVersion(Db* db) {
  // Reading sqlite_master also makes SQLite parse the schema, so a damaged
  // file is reported here (as Corruption) rather than at first use.
  auto table = db->Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
      "name = 'schema_version'");
  if (!table.ok()) return table.status();
  Result<bool> row = table->Step();
  if (!row.ok()) return row.status();
  if (!*row || table->Int(0) == 0) return 0;
  auto version = db->Prepare("SELECT max(version) FROM schema_version");
  if (!version.ok()) return version.status();
  row = version->Step();
  if (!row.ok()) return row.status();
  return *row ? static_cast<int>(version->Int(0)) : 0;
}

Status ValidateList(const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return InvalidArgumentError("migration " + std::to_string(i) +
                                  " has version " +
                                  std::to_string(migrations[i].version));
    }
  }
  return Status::Ok();
}

// Applies the migration after the recorded version, if any, in one
// transaction with the version bump. Sets *version to the version reached.
// The version is read inside the write transaction, so two processes
// opening a new database at once do not both run a migration.
Status Step(Db* db, const std::vector<Migration>& migrations, int* version) {
  auto txn = Transaction::Begin(db);
  if (!txn.ok()) return txn.status();
  Result<int> current = CurrentVersion(db);
  if (!current.ok()) return current.status();
  *version = *current;
  int latest = static_cast<int>(migrations.size());
  if (*current > latest) {
    return Status(StatusCode::kNotSupported,
                  "metadata database " + db->path() + " has schema version " +
                      std::to_string(*current) +
                      ", newer than this gdmount supports (" +
                      std::to_string(latest) +
                      "); upgrade gdmount or delete the database (it is a "
                      "cache of Drive metadata)");
  }
  if (*current == latest) return txn->Commit();
  const Migration& next = migrations[static_cast<size_t>(*current)];
  Status applied = db->Exec(std::string(kCreateVersionTable) + ";" + next.sql +
                            ";DELETE FROM schema_version;" +
                            "INSERT INTO schema_version(version) VALUES (" +
                            std::to_string(next.version) + ")");
  if (!applied.ok()) {
    return Status(applied.code(), "migration to schema version " +
                                      std::to_string(next.version) +
                                      " failed: " + applied.message());
  }
  Status committed = txn->Commit();
  if (committed.ok()) *version = next.version;
  return committed;
}

}  // namespace

const std::vector<Migration>& SchemaMigrations() {
  static const auto* const kMigrations = new std::vector<Migration>{
      {1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}};
  return *kMigrations;
}

Result<int> Migrate(Db* db, const std::vector<Migration>& migrations) {
  Status valid = ValidateList(migrations);
  if (!valid.ok()) return valid;
  int latest = static_cast<int>(migrations.size());
  int version = -1;
  // Each round applies one migration; stop when a round changes nothing.
  while (true) {
    int before = version;
    Status stepped = Step(db, migrations, &version);
    if (!stepped.ok()) return stepped;
    if (version == latest || version == before) return version;
  }
}

}  // namespace gdmount::meta
