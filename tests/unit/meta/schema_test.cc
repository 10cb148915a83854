// Opening, migrating and refusing databases.
#include "meta/schema.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "meta/metadata_store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/meta/test_files.h"

namespace gdmount::meta {
namespace {

using gdmount::testing::TempDir;
using testing::File;
using testing::Must;
using testing::MustOk;
using testing::OpenStore;

// The shipped migrations plus a hypothetical next one, as a later gdmount
// would have them.
constexpr int kNext = kSchemaVersion + 1;
std::vector<Migration> WithNext(const std::string& sql) {
  std::vector<Migration> migrations = SchemaMigrations();
  migrations.push_back({kNext, sql});
  return migrations;
}

constexpr const char* kGoodNext =
    "CREATE TABLE later (id TEXT PRIMARY KEY, path TEXT NOT NULL);"
    "ALTER TABLE entries ADD COLUMN note TEXT NOT NULL DEFAULT ''";

TEST_CASE("A new database is at the latest schema version", "[unit][meta]") {
  CHECK(SchemaMigrations().size() == static_cast<size_t>(kSchemaVersion));
  auto store = OpenStore();
  CHECK(store->schema_version() == kSchemaVersion);
}

TEST_CASE("Reopening a database is idempotent", "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  {
    auto store = OpenStore(path);
    MustOk(store->Upsert({File("a", "p", "a")}));
  }
  for (int i = 0; i < 3; ++i) {
    auto store = OpenStore(path);
    CHECK(store->schema_version() == kSchemaVersion);
    CHECK(Must(store->Get("a"))->name == "a");
  }
}

TEST_CASE("Opening an older database applies the newer migrations",
          "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  uint64_t ino = 0;
  {
    auto current = OpenStore(path);  // as written by this build
    MustOk(current->Upsert({File("a", "p", "a")}));
    ino = Must(current->InodeFor("a"));
  }
  auto next =
      Must(MetadataStore::OpenWithMigrationsForTest(path, WithNext(kGoodNext)));
  CHECK(next->schema_version() == kNext);
  CHECK(Must(next->Get("a"))->ino == ino);
  MustOk(next->Upsert({File("b", "p", "b")}));  // writes work after ALTER
  CHECK(Must(next->Children("p")).size() == 2);
}

TEST_CASE("A v1 database gains the upload journal", "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  uint64_t ino = 0;
  {
    auto v1 = Must(MetadataStore::OpenWithMigrationsForTest(
        path, {SchemaMigrations()[0]}));
    CHECK(v1->schema_version() == 1);
    ino = Must(v1->InodeFor("a"));  // v1's inodes table, unchanged in v2
  }
  auto store = OpenStore(path);
  CHECK(store->schema_version() == kSchemaVersion);
  CHECK(Must(store->InodeFor("a")) == ino);
  MustOk(store->Upsert({File("a", "p", "a")}));
  CHECK(Must(store->Get("a"))->ino == ino);
  PendingUpload u;
  u.id = "a";
  u.parent_id = "p";
  u.name = "a";
  u.staging_path = "/staging/a";
  CHECK(Must(store->CommitUpload(u, File("a", "p", "a"))) > 0);
  CHECK(Must(store->PendingUploads()).size() == 1);
}

TEST_CASE("A v2 journal survives the v3 migration", "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  PendingUpload u;
  u.md5 = std::string(32, 'e');
  {
    auto v2 = Must(MetadataStore::OpenWithMigrationsForTest(
        path, {SchemaMigrations()[0], SchemaMigrations()[1]}));
    CHECK(v2->schema_version() == 2);
  }
  {
    // A row as a v2 gdmount wrote it (this build's code writes v3 rows).
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const std::string insert =
        "INSERT INTO uploads VALUES ('a', 7, 1, 0, 'p', 'a', 'text/plain', "
        "'/staging/a', 3, '" +
        u.md5 + "', 1000, 2, '', '', 0, 0, '', 0)";
    CHECK(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr) ==
          SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = OpenStore(path);
  CHECK(store->schema_version() == kSchemaVersion);
  auto row = Must(store->GetUpload("a"));
  REQUIRE(row.has_value());
  CHECK(row->md5 == u.md5);
  CHECK(row->generation == 7);
  CHECK(row->sent_md5.empty());
}

TEST_CASE("A database from a newer gdmount is refused", "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  {
    auto next = Must(
        MetadataStore::OpenWithMigrationsForTest(path, WithNext(kGoodNext)));
    CHECK(next->schema_version() == kNext);
  }
  auto opened = MetadataStore::Open(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == StatusCode::kNotSupported);
  std::string message = opened.status().message();
  CHECK_THAT(message, Catch::Contains(path));
  CHECK_THAT(message,
             Catch::Contains("schema version " + std::to_string(kNext)));
  CHECK_THAT(message, Catch::Contains("newer"));
}

TEST_CASE("A failing migration is rolled back", "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  {
    auto current = OpenStore(path);
    MustOk(current->Upsert({File("a", "p", "a")}));
  }
  auto bad = MetadataStore::OpenWithMigrationsForTest(
      path, WithNext("CREATE TABLE later (id TEXT); NOT VALID SQL"));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(),
             Catch::Contains("schema version " + std::to_string(kNext)));
  // Still at the current version, and no half of the next one was left
  // behind: applying the good one (which creates `later` again) works.
  CHECK(OpenStore(path)->schema_version() == kSchemaVersion);
  auto next =
      Must(MetadataStore::OpenWithMigrationsForTest(path, WithNext(kGoodNext)));
  CHECK(next->schema_version() == kNext);
  CHECK(Must(next->Get("a")).has_value());
}

TEST_CASE("A malformed migration list is rejected", "[unit][meta]") {
  std::vector<Migration> gap = SchemaMigrations();
  gap.push_back({kSchemaVersion + 2, "CREATE TABLE x (y)"});
  auto opened = MetadataStore::OpenWithMigrationsForTest(":memory:", gap);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("A file of garbage is Corruption and not a crash", "[unit][meta]") {
  TempDir tmp;
  std::string garbage(64 * 1024, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<char>((i * 131 + 7) % 251);
  }
  std::string path = tmp.Write("garbage.db", garbage);
  auto opened = MetadataStore::Open(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == StatusCode::kCorruption);
  CHECK_THAT(opened.status().message(), Catch::Contains(path));
}

TEST_CASE("A damaged database reports Corruption and not a crash",
          "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/m.db";
  {
    auto store = OpenStore(path);
    std::vector<drive::DriveFile> files;
    for (int i = 0; i < 2000; ++i) {
      files.push_back(
          File("id" + std::to_string(i), "p", "name-" + std::to_string(i)));
    }
    MustOk(store->ReplaceChildren("p", files, 1));
  }
  {
    // Keep the first 16 pages (header, schema, the tables' root pages and
    // schema_version, all created first) and overwrite the rest: the pages
    // the 2000 rows live in.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    std::streamoff size = f.tellg();
    constexpr std::streamoff kKept = 16 * 4096;
    REQUIRE(size > 2 * kKept);
    f.seekp(kKept);
    std::string junk(static_cast<size_t>(size - kKept), '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto store = OpenStore(path);
  auto children = store->Children("p");
  REQUIRE_FALSE(children.ok());
  CHECK(children.status().code() == StatusCode::kCorruption);
  CHECK_THAT(children.status().message(), Catch::Contains(path));
  // Writes into damaged pages fail the same way, without a crash.
  Status write = store->ReplaceChildren("p", {}, 2);
  CHECK(write.code() == StatusCode::kCorruption);
}

TEST_CASE("An unopenable path is Io with the path", "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/missing-dir/m.db";
  auto opened = MetadataStore::Open(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == StatusCode::kIo);
  CHECK_THAT(opened.status().message(), Catch::Contains(path));
}

}  // namespace
}  // namespace gdmount::meta
