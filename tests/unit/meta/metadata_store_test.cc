#include "meta/metadata_store.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/meta/test_files.h"

namespace gdmount::meta {
namespace {

using testing::File;
using testing::Folder;
using testing::Must;
using testing::MustOk;
using testing::OpenStore;

std::vector<std::string> Names(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& e : entries) out.push_back(e.name);
  return out;
}

std::vector<std::string> Ids(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& e : entries) out.push_back(e.id);
  return out;
}

drive::DriveFile EveryField() {
  drive::DriveFile f;
  f.id = "1AbC";
  f.name = "report/2024 \xc3\xa9t\xc3\xa9.pdf";  // '/' and UTF-8 kept as is
  f.mime_type = "application/pdf";
  f.parents = {"parent-1", "ignored-second-parent"};
  f.size = 5'000'000'000;  // above 32 bits
  f.md5 = "0123456789abcdef0123456789abcdef";
  f.version = 42;
  f.head_revision_id = "rev-7";
  f.created_ms = 1'600'000'000'123;
  f.modified_ms = 1'700'000'000'456;
  f.trashed = true;
  f.explicitly_trashed = true;
  f.shortcut_target_id = "target-9";
  f.shortcut_target_mime = "image/png";
  f.drive_id = "shared-drive-3";
  f.web_view_link = "https://drive.google.com/file/d/1AbC/view";
  f.capabilities = drive::Capabilities();
  f.capabilities->can_edit = true;
  f.capabilities->can_download = false;
  return f;
}

TEST_CASE("Upsert then Get round-trips every field", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->Upsert({EveryField()}));
  auto got = Must(store->Get("1AbC"));
  REQUIRE(got.has_value());
  const Entry& e = *got;
  CHECK(e.ino >= 2);
  CHECK(e.id == "1AbC");
  CHECK(e.parent_id == "parent-1");
  CHECK(e.name == "report/2024 \xc3\xa9t\xc3\xa9.pdf");
  CHECK(e.mime_type == "application/pdf");
  REQUIRE(e.size.has_value());
  CHECK(*e.size == 5'000'000'000);
  CHECK(e.md5 == "0123456789abcdef0123456789abcdef");
  CHECK(e.version == 42);
  CHECK(e.head_revision_id == "rev-7");
  CHECK(e.created_ms == 1'600'000'000'123);
  CHECK(e.modified_ms == 1'700'000'000'456);
  CHECK(e.trashed);
  CHECK(e.explicitly_trashed);
  CHECK(e.shortcut_target_id == "target-9");
  CHECK(e.shortcut_target_mime == "image/png");
  CHECK(e.drive_id == "shared-drive-3");
  CHECK(e.web_view_link == "https://drive.google.com/file/d/1AbC/view");
  CHECK(e.can_edit);
  CHECK_FALSE(e.can_download);

  auto by_ino = Must(store->GetByIno(e.ino));
  REQUIRE(by_ino.has_value());
  CHECK(by_ino->id == "1AbC");
  CHECK(by_ino->web_view_link == e.web_view_link);
}

TEST_CASE("Absent optional fields stay absent", "[unit][meta]") {
  auto store = OpenStore();
  drive::DriveFile doc = File("doc", "p", "Notes");
  doc.mime_type = "application/vnd.google-apps.document";
  doc.size.reset();
  drive::DriveFile empty = File("empty", "p", "empty.txt");
  empty.size = 0;
  MustOk(store->Upsert({doc, empty}));

  auto d = Must(store->Get("doc"));
  REQUIRE(d.has_value());
  CHECK_FALSE(d->size.has_value());
  CHECK(d->is_native());
  CHECK_FALSE(d->is_folder());
  // No capabilities from Drive: Drive's usual defaults.
  CHECK_FALSE(d->can_edit);
  CHECK(d->can_download);
  auto e = Must(store->Get("empty"));
  REQUIRE(e.has_value());
  REQUIRE(e->size.has_value());
  CHECK(*e->size == 0);
  CHECK(Must(store->Get("never-stored")) == std::nullopt);
  CHECK(Must(store->GetByIno(999)) == std::nullopt);
}

TEST_CASE("Entry kind predicates", "[unit][meta]") {
  Entry e;
  e.mime_type = drive::kFolderMime;
  CHECK(e.is_folder());
  CHECK_FALSE(e.is_native());
  e.mime_type = drive::kShortcutMime;
  CHECK(e.is_shortcut());
  CHECK_FALSE(e.is_native());
  e.mime_type = "application/vnd.google-apps.spreadsheet";
  CHECK(e.is_native());
  e.mime_type = "image/jpeg";
  CHECK_FALSE(e.is_native());
}

TEST_CASE("Upsert updates in place and keeps the inode", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->Upsert({File("f", "a", "old.txt")}));
  uint64_t ino = Must(store->Get("f"))->ino;
  drive::DriveFile moved = File("f", "b", "new.txt");
  moved.version = 9;
  MustOk(store->Upsert({moved}));
  auto e = Must(store->Get("f"));
  CHECK(e->ino == ino);
  CHECK(e->name == "new.txt");
  CHECK(e->parent_id == "b");
  CHECK(e->version == 9);
  CHECK(Must(store->Children("a")).empty());
  CHECK(Names(Must(store->Children("b"))) ==
        std::vector<std::string>{"new.txt"});
}

TEST_CASE("An orphan has an empty parent", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->Upsert({File("orphan", "", "lost.txt")}));
  CHECK(Must(store->Get("orphan"))->parent_id.empty());
}

TEST_CASE("GetMany returns stored entries in the order asked", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->Upsert(
      {File("a", "p", "one"), File("b", "p", "two"), File("c", "q", "three")}));
  auto got = Must(store->GetMany({"c", "missing", "a"}));
  CHECK(Ids(got) == std::vector<std::string>{"c", "a"});
  CHECK(got[0].name == "three");
  CHECK(got[1].ino == Must(store->Get("a"))->ino);
  CHECK(Must(store->GetMany({})).empty());
}

TEST_CASE("Children are ordered by name then id and exclude trashed",
          "[unit][meta]") {
  auto store = OpenStore();
  drive::DriveFile gone = File("t1", "p", "a-trashed.txt");
  gone.trashed = true;
  gone.explicitly_trashed = true;
  drive::DriveFile inside = File("t2", "trashed-folder", "inner.txt");
  inside.trashed = true;  // implicitly: its folder is trashed
  MustOk(store->Upsert({File("z", "p", "b"), File("y", "p", "b"),
                        File("x", "p", "B"), File("w", "p", "a"), gone, inside,
                        File("other", "q", "a")}));
  auto children = Must(store->Children("p"));
  // Bytewise: "B" < "a" < "b"; equal names ordered by id.
  CHECK(Ids(children) == std::vector<std::string>{"x", "w", "y", "z"});

  auto trashed = Must(store->Trashed());
  CHECK(Ids(trashed) == std::vector<std::string>{"t1", "t2"});
  CHECK(trashed[0].explicitly_trashed);
  CHECK_FALSE(trashed[1].explicitly_trashed);
  CHECK(Must(store->Children("nobody")).empty());
}

TEST_CASE("ReplaceChildren removes vanished children and marks the listing",
          "[unit][meta]") {
  auto store = OpenStore();
  CHECK_FALSE(Must(store->Listing("p")).complete);
  CHECK(Must(store->Listing("p")).fetched_ms == 0);

  MustOk(store->ReplaceChildren(
      "p", {File("a", "p", "a"), File("b", "p", "b"), Folder("c", "p", "c")},
      1000));
  MustOk(store->ReplaceChildren("c", {File("c1", "c", "x")}, 1000));
  MustOk(store->Upsert({File("elsewhere", "q", "e")}));
  drive::DriveFile trashed = File("t", "p", "trashed");
  trashed.trashed = true;
  MustOk(store->Upsert({trashed}));
  uint64_t a_ino = Must(store->Get("a"))->ino;

  // "b" and the folder "c" vanished; "d" is new; "a" was renamed.
  MustOk(store->ReplaceChildren(
      "p", {File("a", "p", "a2"), File("d", "p", "d")}, 2000));

  CHECK(Ids(Must(store->Children("p"))) == std::vector<std::string>{"a", "d"});
  CHECK(Must(store->Get("a"))->name == "a2");
  CHECK(Must(store->Get("a"))->ino == a_ino);
  CHECK(Must(store->Get("b")) == std::nullopt);
  CHECK(Must(store->Get("c")) == std::nullopt);
  // The vanished folder must be listed again if it shows up elsewhere.
  CHECK_FALSE(Must(store->Listing("c")).complete);
  // Other folders and trashed entries (not part of the listing) are kept.
  CHECK(Must(store->Get("elsewhere")).has_value());
  CHECK(Must(store->Get("t")).has_value());
  ListingState state = Must(store->Listing("p"));
  CHECK(state.complete);
  CHECK(state.fetched_ms == 2000);
}

TEST_CASE("A listing stored in parts ends as ReplaceChildren would leave it",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->ReplaceChildren(
      "p", {File("a", "p", "a"), File("b", "p", "b"), Folder("c", "p", "c")},
      1000));
  MustOk(store->ReplaceChildren("c", {File("c1", "c", "x")}, 1000));
  drive::DriveFile trashed = File("t", "p", "trashed");
  trashed.trashed = true;
  MustOk(store->Upsert({trashed}));
  MustOk(store->InvalidateListing("p"));

  // Relisted in two parts: "b" and "c" vanished, "a" renamed, "d" new.
  MustOk(store->StoreListingPart("p", {File("a", "p", "a2")}));
  MustOk(store->StoreListingPart("p", {File("d", "p", "d")}));
  // Until finished, the listing is not complete (readers list again) and
  // vanished entries are still there.
  CHECK_FALSE(Must(store->Listing("p")).complete);
  CHECK(Must(store->Get("b")).has_value());
  MustOk(store->FinishListing("p", {"a", "d"}, 2000));

  CHECK(Ids(Must(store->Children("p"))) == std::vector<std::string>{"a", "d"});
  CHECK(Must(store->Get("a"))->name == "a2");
  CHECK(Must(store->Get("b")) == std::nullopt);
  CHECK(Must(store->Get("c")) == std::nullopt);
  CHECK_FALSE(Must(store->Listing("c")).complete);
  CHECK(Must(store->Get("t")).has_value());
  ListingState state = Must(store->Listing("p"));
  CHECK(state.complete);
  CHECK(state.fetched_ms == 2000);
  CHECK(store->StoreListingPart("", {File("x", "", "x")}).code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->StoreListingPart("p", {File("", "p", "x")}).code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->FinishListing("", {}, 1).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ReplaceChildren files children under the listed folder",
          "[unit][meta]") {
  auto store = OpenStore();
  drive::DriveFile two_parents = File("f", "other", "f");
  two_parents.parents = {"other", "p"};
  MustOk(store->ReplaceChildren("p", {two_parents}, 1));
  CHECK(Must(store->Get("f"))->parent_id == "p");
  MustOk(store->ReplaceChildren("empty", {}, 5));
  CHECK(Must(store->Listing("empty")).complete);
  CHECK(Must(store->Children("empty")).empty());
}

TEST_CASE("A listing older than what the store has does not move it back",
          "[unit][meta]") {
  // Listed in folder a at version 3, moved to b here (version 4), then the
  // listing of a fetched before the move arrives.
  auto store = OpenStore();
  drive::DriveFile before = File("f", "a", "f.txt");
  before.version = 3;
  MustOk(store->ReplaceChildren("a", {before}, 1));
  drive::DriveFile moved = File("f", "b", "f.txt");
  moved.version = 4;
  MustOk(store->Upsert({moved}));
  MustOk(store->ReplaceChildren("a", {before}, 2));
  CHECK(Must(store->Get("f"))->parent_id == "b");
  CHECK(Must(store->Get("f"))->version == 4);
  CHECK(Must(store->Children("a")).empty());
  // A newer version is taken, wherever it says the file is.
  drive::DriveFile back = File("f", "a", "g.txt");
  back.version = 5;
  MustOk(store->ReplaceChildren("a", {back}, 3));
  CHECK(Must(store->Get("f"))->parent_id == "a");
  CHECK(Must(store->Get("f"))->name == "g.txt");
}

TEST_CASE("InvalidateListing makes the next lookup list again",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->ReplaceChildren("p", {File("a", "p", "a")}, 1234));
  MustOk(store->InvalidateListing("p"));
  ListingState state = Must(store->Listing("p"));
  CHECK_FALSE(state.complete);
  CHECK(state.fetched_ms == 1234);
  // The entries are still served while the folder is relisted.
  CHECK(Must(store->Children("p")).size() == 1);
  MustOk(store->InvalidateListing("never-listed"));
  CHECK_FALSE(Must(store->Listing("never-listed")).complete);
  MustOk(store->ReplaceChildren("p", {File("a", "p", "a")}, 5678));
  CHECK(Must(store->Listing("p")).complete);
  CHECK(Must(store->Listing("p")).fetched_ms == 5678);
}

TEST_CASE("Remove drops the entry and its listing but keeps the inode",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->ReplaceChildren("p", {Folder("dir", "p", "dir")}, 1));
  MustOk(store->ReplaceChildren("dir", {File("in", "dir", "in")}, 1));
  uint64_t ino = Must(store->InodeFor("dir"));
  MustOk(store->Remove("dir"));
  CHECK(Must(store->Get("dir")) == std::nullopt);
  CHECK(Must(store->GetByIno(ino)) == std::nullopt);
  CHECK_FALSE(Must(store->Listing("dir")).complete);
  CHECK(Must(store->IdForIno(ino)) == std::optional<std::string>("dir"));
  CHECK(Must(store->InodeFor("dir")) == ino);
  CHECK(Must(store->Children("p")).empty());
  MustOk(store->Remove("never-stored"));
}

TEST_CASE("Change token round trip", "[unit][meta]") {
  auto store = OpenStore();
  CHECK(Must(store->ChangeToken()) == std::nullopt);
  MustOk(store->SetChangeToken("12345"));
  CHECK(Must(store->ChangeToken()) == std::optional<std::string>("12345"));
  MustOk(store->SetChangeToken("12399"));
  CHECK(Must(store->ChangeToken()) == std::optional<std::string>("12399"));
}

TEST_CASE("Empty ids are rejected and nothing is stored", "[unit][meta]") {
  auto store = OpenStore();
  Status s = store->Upsert({File("ok", "p", "ok"), File("", "p", "bad")});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(Must(store->Get("ok")) == std::nullopt);
  CHECK(store->ReplaceChildren("", {}, 1).code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->ReplaceChildren("p", {File("", "p", "x")}, 1).code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->InodeFor("").status().code() == StatusCode::kInvalidArgument);
  CHECK(store->SetRoot(Folder("", "", "root")).code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gdmount::meta
