// The upload journal through MetadataStore: generations, ordering, the
// local entry winning over Drive-sourced writes, completion outcomes.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

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
  // Generations never repeat, whatever the id.
  int64_t b1 = Must(store->CommitUpload(Row("b", "p", 1), Local("b", "p", 1)));
  int64_t a1 = Must(store->CommitUpload(Row("a", "p", 2), Local("a", "p", 2)));
  int64_t b2 = Must(store->CommitUpload(Row("b", "p", 3), Local("b", "p", 3)));
  CHECK(b1 < a1);
  CHECK(a1 < b2);
  auto rows = Must(store->PendingUploads());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == "a");  // b's latest commit is the newest
  CHECK(rows[1].id == "b");
  CHECK(rows[1].size == 3);
  CHECK(rows[1].generation == b2);
  // The local entry was stored with the commit.
  CHECK(Must(store->Get("b"))->size == 3);
}

TEST_CASE("The uploader's page of due rows, next retry time and new files",
          "[unit][meta]") {
  auto store = OpenStore();
  for (int i = 0; i < 10; ++i) {
    const std::string id = "f" + std::to_string(i);
    PendingUpload u = Row(id, i < 5 ? "p" : "q", i);
    u.create = (i % 2) == 0;
    Must(store->CommitUpload(u, Local(id, u.parent_id, i)));
  }
  auto rows = Must(store->PendingUploads());
  REQUIRE(rows.size() == 10);
  // f3 and f6 wait for a retry.
  MustOk(store->RecordUploadFailure("f3", rows[3].generation, "e", 5000));
  MustOk(store->RecordUploadFailure("f6", rows[6].generation, "e", 3000));
  CHECK(Must(store->PendingUploadCount()) == 10);

  auto page = Must(store->DueUploads(/*now_ms=*/1000, 0, 4));
  std::vector<std::string> ids;
  for (const auto& u : page) ids.push_back(u.id);
  CHECK(ids == std::vector<std::string>{"f0", "f1", "f2", "f4"});
  page = Must(store->DueUploads(1000, page.back().seq, 4));
  ids.clear();
  for (const auto& u : page) ids.push_back(u.id);
  CHECK(ids == std::vector<std::string>{"f5", "f7", "f8", "f9"});
  CHECK(Must(store->DueUploads(1000, page.back().seq, 4)).empty());
  // Once their time has come, they are due too.
  CHECK(Must(store->DueUploads(4000, 0, 100)).size() == 9);
  CHECK(Must(store->NextUploadDue(1000)) == std::optional<int64_t>(3000));
  CHECK(Must(store->NextUploadDue(3000)) == std::optional<int64_t>(5000));
  CHECK(Must(store->NextUploadDue(5000)) == std::nullopt);

  ids.clear();
  for (const auto& u : Must(store->NewFilesIn("p"))) ids.push_back(u.id);
  CHECK(ids == std::vector<std::string>{"f0", "f2", "f4"});
  CHECK(Must(store->NewFilesIn("nowhere")).empty());
}

TEST_CASE("A session is saved only for the generation it belongs to",
          "[unit][meta]") {
  auto store = OpenStore();
  int64_t g1 = Must(store->CommitUpload(Row("a", "p", 1), Local("a", "p", 1)));
  MustOk(store->SaveUploadSession("a", g1, "http://s/1", 262144));
  CHECK(Must(store->GetUpload("a"))->session_uri == "http://s/1");
  CHECK(Must(store->GetUpload("a"))->confirmed == 262144);
  MustOk(store->SaveUploadSession("a", g1 + 1000, "http://s/old", 5));
  CHECK(Must(store->GetUpload("a"))->session_uri == "http://s/1");
  // New content starts a new session.
  int64_t g2 = Must(store->CommitUpload(Row("a", "p", 2), Local("a", "p", 2)));
  CHECK(Must(store->GetUpload("a"))->session_uri.empty());
  MustOk(store->RecordUploadFailure("a", g2, "quota", 99));
  CHECK(Must(store->GetUpload("a"))->attempts == 1);
  CHECK(Must(store->GetUpload("a"))->last_error == "quota");
  CHECK(Must(store->GetUpload("a"))->not_before_ms == 99);
}

TEST_CASE("What an attempt sent is remembered across newer commits",
          "[unit][meta]") {
  auto store = OpenStore();
  Must(store->CommitUpload(Row("a", "p", 1), Local("a", "p", 1)));
  CHECK(Must(store->GetUpload("a"))->sent_md5.empty());
  const std::string sent(32, 'b');
  MustOk(store->MarkUploadSending("a", sent));
  // A newer commit while that attempt may have reached Drive: Drive
  // having `sent` is still this mount's doing.
  PendingUpload next = Row("a", "p", 2);
  next.md5 = std::string(32, 'c');
  Must(store->CommitUpload(next, Local("a", "p", 2)));
  CHECK(Must(store->GetUpload("a"))->md5 == next.md5);
  CHECK(Must(store->GetUpload("a"))->sent_md5 == sent);
  // A row journaled anew after the file was dropped starts with none.
  MustOk(store->DropUpload("a"));
  Must(store->CommitUpload(Row("a", "p", 3), Local("a", "p", 3)));
  CHECK(Must(store->GetUpload("a"))->sent_md5.empty());
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

  int64_t ga = Must(store->CommitUpload(Row("a", "p", 4), Local("a", "p", 4)));
  CHECK(Must(store->CompleteUpload("a", ga, uploaded)) ==
        MetadataStore::UploadOutcome::kDone);
  CHECK_FALSE(Must(store->GetUpload("a")).has_value());
  CHECK(Must(store->Get("a"))->version == 12);

  // Newer content arrived while generation 1 was uploading.
  PendingUpload create = Row("b", "p", 4);
  create.create = true;
  int64_t gb1 = Must(store->CommitUpload(create, Local("b", "p", 4)));
  int64_t gb2 = Must(store->CommitUpload(create, Local("b", "p", 6)));
  uploaded.id = "b";
  CHECK(Must(store->CompleteUpload("b", gb1, uploaded)) ==
        MetadataStore::UploadOutcome::kSuperseded);
  auto row = Must(store->GetUpload("b"));
  REQUIRE(row.has_value());
  CHECK_FALSE(row->create);  // Drive has it now: update, not create
  CHECK(row->base_version == 12);
  CHECK(row->base_md5 == std::string(32, 'c'));
  CHECK(Must(store->Get("b"))->size == 6);  // still the local entry

  MustOk(store->DropUpload("b"));
  CHECK(Must(store->CompleteUpload("b", gb2, uploaded)) ==
        MetadataStore::UploadOutcome::kDropped);
}

TEST_CASE("The journal survives reopening", "[unit][meta]") {
  gdmount::testing::TempDir tmp;
  const std::string path = tmp.path() + "/m.db";
  {
    auto store = OpenStore(path);
    int64_t g = Must(store->CommitUpload(Row("a", "p", 4), Local("a", "p", 4)));
    MustOk(store->SaveUploadSession("a", g, "http://s/1", 256));
    auto moved = Must(store->MoveUpload("a", "q", "renamed.txt"));
    REQUIRE(moved.has_value());
    CHECK(moved->name == "renamed.txt");
    CHECK(moved->parent_id == "q");
    // Without a row (its upload finished): nothing changes.
    MustOk(store->Upsert({Local("z", "p", 1)}));
    CHECK_FALSE(Must(store->MoveUpload("z", "q", "z2")).has_value());
    CHECK(Must(store->Get("z"))->name == "z.txt");
    CHECK(Must(store->Get("z"))->parent_id == "p");
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
