// The upload journal through MetadataStore: generations, ordering, the
// local entry winning over Drive-sourced writes, completion outcomes.
#include <catch2/catch.hpp>
#include <string>

#include "meta/metadata_store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/meta/test_files.h"

namespace gdmount::meta {
namespace {

using testing::File;
using testing::Must;
using testing::MustOk;
using testing::OpenStore;

PendingUpload Row(const std::string& id, const std::string& parent,
                  int64_t size) {
  PendingUpload u;
  u.id = id;
  u.parent_id = parent;
  u.name = id + ".txt";
  u.mime_type = "text/plain";
  u.staging_path = "/staging/" + id;
  u.size = size;
  u.md5 = std::string(32, 'a');
  u.modified_ms = 1000;
  return u;
}

drive::DriveFile Local(const std::string& id, const std::string& parent,
                       int64_t size) {
  drive::DriveFile f = File(id, parent, id + ".txt");
  f.size = size;
  return f;
}

TEST_CASE("Journal rows get generations and keep commit order",
          "[unit][meta]") {
  auto store = OpenStore();
  CHECK(Must(store->CommitUpload(Row("b", "p", 1), Local("b", "p", 1))) == 1);
  CHECK(Must(store->CommitUpload(Row("a", "p", 2), Local("a", "p", 2))) == 1);
  CHECK(Must(store->CommitUpload(Row("b", "p", 3), Local("b", "p", 3))) == 2);
  auto rows = Must(store->PendingUploads());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == "a");  // b's latest commit is the newest
  CHECK(rows[1].id == "b");
  CHECK(rows[1].size == 3);
  CHECK(rows[1].generation == 2);
  // The local entry was stored with the commit.
  CHECK(Must(store->Get("b"))->size == 3);
}

TEST_CASE("A session is saved only for the generation it belongs to",
          "[unit][meta]") {
  auto store = OpenStore();
  Must(store->CommitUpload(Row("a", "p", 1), Local("a", "p", 1)));
  MustOk(store->SaveUploadSession("a", 1, "http://s/1", 262144));
  CHECK(Must(store->GetUpload("a"))->session_uri == "http://s/1");
  CHECK(Must(store->GetUpload("a"))->confirmed == 262144);
  MustOk(store->SaveUploadSession("a", 7, "http://s/old", 5));
  CHECK(Must(store->GetUpload("a"))->session_uri == "http://s/1");
  // New content starts a new session.
  Must(store->CommitUpload(Row("a", "p", 2), Local("a", "p", 2)));
  CHECK(Must(store->GetUpload("a"))->session_uri.empty());
  MustOk(store->RecordUploadFailure("a", 2, "quota", 99));
  CHECK(Must(store->GetUpload("a"))->attempts == 1);
  CHECK(Must(store->GetUpload("a"))->last_error == "quota");
  CHECK(Must(store->GetUpload("a"))->not_before_ms == 99);
}

TEST_CASE("Listings and upserts leave a journaled file's entry alone",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->ReplaceChildren("p", {File("old", "p", "old")}, 1));
  // A new local file Drive does not list yet, and a local edit of "old".
  Must(store->CommitUpload(Row("new", "p", 5), Local("new", "p", 5)));
  Must(store->CommitUpload(Row("old", "p", 9), Local("old", "p", 9)));
  MustOk(store->InvalidateListing("p"));
  drive::DriveFile remote_old = File("old", "p", "old");
  remote_old.size = 1;
  MustOk(store->ReplaceChildren("p", {remote_old}, 2));
  MustOk(store->Upsert({remote_old}));
  CHECK(Must(store->Get("new")).has_value());
  CHECK(Must(store->Get("old"))->size == 9);
  CHECK(Must(store->Children("p")).size() == 2);
}

TEST_CASE("CompleteUpload: done, superseded or dropped", "[unit][meta]") {
  auto store = OpenStore();
  drive::DriveFile uploaded = File("a", "p", "a.txt");
  uploaded.size = 4;
  uploaded.version = 12;
  uploaded.md5 = std::string(32, 'c');

  Must(store->CommitUpload(Row("a", "p", 4), Local("a", "p", 4)));
  CHECK(Must(store->CompleteUpload("a", 1, uploaded)) ==
        MetadataStore::UploadOutcome::kDone);
  CHECK_FALSE(Must(store->GetUpload("a")).has_value());
  CHECK(Must(store->Get("a"))->version == 12);

  // Newer content arrived while generation 1 was uploading.
  PendingUpload create = Row("b", "p", 4);
  create.create = true;
  Must(store->CommitUpload(create, Local("b", "p", 4)));
  Must(store->CommitUpload(create, Local("b", "p", 6)));
  uploaded.id = "b";
  CHECK(Must(store->CompleteUpload("b", 1, uploaded)) ==
        MetadataStore::UploadOutcome::kSuperseded);
  auto row = Must(store->GetUpload("b"));
  REQUIRE(row.has_value());
  CHECK_FALSE(row->create);  // Drive has it now: update, not create
  CHECK(row->base_version == 12);
  CHECK(row->base_md5 == std::string(32, 'c'));
  CHECK(Must(store->Get("b"))->size == 6);  // still the local entry

  MustOk(store->DropUpload("b"));
  CHECK(Must(store->CompleteUpload("b", 2, uploaded)) ==
        MetadataStore::UploadOutcome::kDropped);
}

TEST_CASE("The journal survives reopening", "[unit][meta]") {
  gdmount::testing::TempDir tmp;
  const std::string path = tmp.path() + "/m.db";
  {
    auto store = OpenStore(path);
    Must(store->CommitUpload(Row("a", "p", 4), Local("a", "p", 4)));
    MustOk(store->SaveUploadSession("a", 1, "http://s/1", 256));
    MustOk(store->MoveUpload("a", "q", "renamed.txt"));
  }
  auto store = OpenStore(path);
  auto row = Must(store->GetUpload("a"));
  REQUIRE(row.has_value());
  CHECK(row->session_uri == "http://s/1");
  CHECK(row->parent_id == "q");
  CHECK(row->name == "renamed.txt");
  CHECK(row->staging_path == "/staging/a");
}

}  // namespace
}  // namespace gdmount::meta
