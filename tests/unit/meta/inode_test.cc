// Inode numbers: stable per Drive id, across remove/re-add and reopen; the
// root is FUSE_ROOT_ID.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "meta/metadata_store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/meta/test_files.h"

namespace gdmount::meta {
namespace {

using gdmount::testing::TempDir;
using testing::File;
using testing::Folder;
using testing::Must;
using testing::MustOk;
using testing::OpenStore;

drive::DriveFile MyDriveRoot() {
  drive::DriveFile root = Folder("0AROOT", "", "My Drive");
  return root;
}

TEST_CASE("The root is inode 1", "[unit][meta]") {
  auto store = OpenStore();
  CHECK(Must(store->Root()) == std::nullopt);
  // Ids seen before the root is known never take inode 1.
  CHECK(Must(store->InodeFor("early")) == 2);
  MustOk(store->SetRoot(MyDriveRoot()));
  auto root = Must(store->Root());
  REQUIRE(root.has_value());
  CHECK(root->ino == kRootIno);
  CHECK(root->id == "0AROOT");
  CHECK(root->parent_id.empty());
  CHECK(root->is_folder());
  CHECK(Must(store->InodeFor("0AROOT")) == kRootIno);
  CHECK(Must(store->IdForIno(kRootIno)) ==
        std::optional<std::string>("0AROOT"));
  CHECK(Must(store->GetByIno(kRootIno))->id == "0AROOT");
  CHECK(Must(store->InodeFor("next")) == 3);
}

TEST_CASE("A root folder inside the Drive has no parent", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("sub", "0AROOT", "datasets")));
  CHECK(Must(store->Root())->parent_id.empty());
  // A later update from a listing or the change feed keeps it the root.
  drive::DriveFile renamed = Folder("sub", "0AROOT", "datasets-v2");
  MustOk(store->Upsert({renamed}));
  auto root = Must(store->Root());
  CHECK(root->name == "datasets-v2");
  CHECK(root->parent_id.empty());
  CHECK(root->ino == kRootIno);
  CHECK(Must(store->Children("0AROOT")).empty());
}

TEST_CASE("SetRoot again updates the root and a new root takes inode 1",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(MyDriveRoot()));
  drive::DriveFile again = MyDriveRoot();
  again.modified_ms = 77;
  MustOk(store->SetRoot(again));
  CHECK(Must(store->Root())->modified_ms == 77);
  CHECK(Must(store->Root())->ino == kRootIno);

  uint64_t other = Must(store->InodeFor("other-root"));
  MustOk(store->SetRoot(Folder("other-root", "", "Shared")));
  CHECK(Must(store->Root())->id == "other-root");
  CHECK(Must(store->InodeFor("other-root")) == kRootIno);
  CHECK(Must(store->IdForIno(other)) == std::nullopt);
  // The old root is an ordinary id now, with a fresh, never-used number.
  CHECK(Must(store->Get("0AROOT")) == std::nullopt);
  CHECK(Must(store->InodeFor("0AROOT")) > other);
}

TEST_CASE("New ids get increasing inode numbers", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(MyDriveRoot()));
  MustOk(store->Upsert({File("a", "0AROOT", "a"), File("b", "0AROOT", "b")}));
  uint64_t a = Must(store->Get("a"))->ino;
  uint64_t b = Must(store->Get("b"))->ino;
  uint64_t c = Must(store->InodeFor("c"));
  CHECK(a > kRootIno);
  CHECK(b > a);
  CHECK(c > b);
  CHECK(Must(store->InodeFor("a")) == a);  // no new number for a known id
  CHECK(Must(store->IdForIno(c)) == std::optional<std::string>("c"));
  CHECK(Must(store->IdForIno(c + 1000)) == std::nullopt);
  // An allocated inode without an entry has no Entry.
  CHECK(Must(store->GetByIno(c)) == std::nullopt);
}

TEST_CASE("Updating known ids does not consume inode numbers", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->Upsert({File("a", "p", "a")}));
  uint64_t a = Must(store->InodeFor("a"));
  for (int i = 0; i < 5; ++i) {
    MustOk(store->Upsert({File("a", "p", "a")}));
    MustOk(store->ReplaceChildren("p", {File("a", "p", "a")}, i));
  }
  CHECK(Must(store->InodeFor("b")) == a + 1);
}

TEST_CASE("An id keeps its inode after Remove and re-adding", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->ReplaceChildren("p", {File("a", "p", "a"), File("b", "p", "b")},
                                1));
  uint64_t a = Must(store->Get("a"))->ino;
  uint64_t b = Must(store->Get("b"))->ino;
  MustOk(store->Remove("a"));
  MustOk(store->ReplaceChildren("p", {}, 2));  // b vanishes too
  uint64_t fresh = Must(store->InodeFor("fresh"));
  CHECK(fresh > b);  // numbers of removed ids are not reused
  MustOk(store->ReplaceChildren("p", {File("b", "p", "b"), File("a", "p", "a")},
                                3));
  CHECK(Must(store->Get("a"))->ino == a);
  CHECK(Must(store->Get("b"))->ino == b);
}

TEST_CASE("Inodes entries and settings survive reopening a file database",
          "[unit][meta]") {
  TempDir tmp;
  std::string path = tmp.path() + "/metadata.db";
  std::map<std::string, uint64_t> inos;
  {
    auto store = OpenStore(path);
    MustOk(store->SetRoot(MyDriveRoot()));
    std::vector<drive::DriveFile> files;
    for (int i = 0; i < 50; ++i) {
      files.push_back(
          File("id" + std::to_string(i), "0AROOT", "n" + std::to_string(i)));
    }
    MustOk(store->ReplaceChildren("0AROOT", files, 99));
    MustOk(store->Remove("id7"));
    MustOk(store->SetChangeToken("tok-1"));
    for (int i = 0; i < 50; ++i) {
      std::string id = "id" + std::to_string(i);
      inos[id] = Must(store->InodeFor(id));
    }
  }
  auto store = OpenStore(path);
  CHECK(Must(store->Root())->ino == kRootIno);
  CHECK(Must(store->Root())->id == "0AROOT");
  CHECK(Must(store->ChangeToken()) == std::optional<std::string>("tok-1"));
  CHECK(Must(store->Listing("0AROOT")).complete);
  CHECK(Must(store->Children("0AROOT")).size() == 49);
  uint64_t max_ino = 0;
  for (const auto& [id, ino] : inos) {
    CHECK(Must(store->InodeFor(id)) == ino);
    max_ino = std::max(max_ino, ino);
  }
  CHECK(Must(store->Get("id3"))->ino == inos["id3"]);
  CHECK(Must(store->InodeFor("after-reopen")) > max_ino);
}

}  // namespace
}  // namespace gdmount::meta
