// MetadataStore::ApplyChanges: which changes are applied, what is reported,
// and the token saved with them.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "meta/metadata_store.h"
#include "tests/unit/meta/test_files.h"

namespace gdmount::meta {
namespace {

using testing::File;
using testing::Folder;
using testing::Must;
using testing::MustOk;
using testing::OpenStore;

drive::Change Changed(const drive::DriveFile& f) {
  drive::Change c;
  c.change_type = "file";
  c.file_id = f.id;
  c.file = f;
  return c;
}

drive::Change Removed(const std::string& id) {
  drive::Change c;
  c.change_type = "file";
  c.file_id = id;
  c.removed = true;
  return c;
}

TEST_CASE("Changes apply where the mount shows them, the token goes with them",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  MustOk(store->Upsert({Folder("d", "root", "d"), File("a", "root", "a"),
                        File("gone", "d", "gone")}));
  drive::DriveFile moved = File("a", "d", "a2");
  drive::DriveFile fresh = File("n", "d", "new");
  drive::DriveFile elsewhere = File("x", "unknown-folder", "x");
  drive::DriveFile trashed_new = File("t", "d", "t");
  trashed_new.trashed = true;
  auto applied = Must(store->ApplyChanges(
      {Changed(moved), Changed(fresh), Changed(elsewhere), Changed(trashed_new),
       Removed("gone"), Removed("never-seen")},
      "token-2"));
  REQUIRE(applied.size() == 3);
  CHECK(applied[0].id == "a");
  CHECK(applied[0].before->parent_id == "root");
  CHECK(applied[0].after->parent_id == "d");
  CHECK(applied[0].after->name == "a2");
  CHECK(applied[0].after->ino == applied[0].before->ino);  // same inode
  CHECK(applied[1].id == "n");
  CHECK_FALSE(applied[1].before.has_value());
  CHECK(applied[2].id == "gone");
  CHECK_FALSE(applied[2].after.has_value());
  CHECK(Must(store->ChangeToken()) == std::optional<std::string>("token-2"));
  // Outside what the mount shows, or new and trashed: not stored.
  CHECK_FALSE(Must(store->Get("x")).has_value());
  CHECK_FALSE(Must(store->Get("t")).has_value());
  CHECK_FALSE(Must(store->Get("gone")).has_value());
  CHECK(Must(store->Children("d")).size() == 2);
  // The same page again: nothing changes, nothing is reported.
  CHECK(Must(store->ApplyChanges({Changed(moved), Changed(fresh)}, "token-2"))
            .empty());
  // Trashing keeps the entry, trashed (for .Trash), out of its folder.
  drive::DriveFile trash = moved;
  trash.trashed = true;
  trash.explicitly_trashed = true;
  auto t = Must(store->ApplyChanges({Changed(trash)}, "token-3"));
  REQUIRE(t.size() == 1);
  CHECK(t[0].after->trashed);
  CHECK(Must(store->Children("d")).size() == 1);
}

TEST_CASE("A change older than the stored entry does not roll it back",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  drive::DriveFile now = File("a", "root", "renamed here");
  now.version = 7;
  MustOk(store->Upsert({now}));
  drive::DriveFile older = File("a", "root", "old name");
  older.version = 5;
  CHECK(Must(store->ApplyChanges({Changed(older)}, "t")).empty());
  CHECK(Must(store->Get("a"))->name == "renamed here");
  drive::DriveFile newer = File("a", "root", "newest");
  newer.version = 8;
  CHECK(Must(store->ApplyChanges({Changed(newer)}, "t")).size() == 1);
  CHECK(Must(store->Get("a"))->name == "newest");
}

TEST_CASE("A journaled file keeps its local entry against remote changes",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  MustOk(store->Upsert({File("a", "root", "a")}));
  PendingUpload u;
  u.id = "a";
  u.parent_id = "root";
  u.name = "a";
  u.staging_path = "/staging/a";
  drive::DriveFile local = File("a", "root", "a");
  local.size = 10;
  Must(store->CommitUpload(u, local));
  drive::DriveFile remote = File("a", "root", "renamed elsewhere");
  CHECK(
      Must(store->ApplyChanges({Changed(remote), Removed("a")}, "t")).empty());
  CHECK(Must(store->Get("a"))->name == "a");
  CHECK(Must(store->Get("a"))->size == 10);
}

TEST_CASE("A bad page applies nothing and keeps the token", "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  MustOk(store->SetChangeToken("t1"));
  drive::Change good = Changed(File("g", "root", "good"));
  drive::Change bad = Changed(File("", "root", "no id"));
  bad.file_id = "y";
  CHECK_FALSE(store->ApplyChanges({good, bad}, "t2").ok());
  CHECK_FALSE(Must(store->Get("g")).has_value());  // all or nothing
  CHECK(Must(store->ChangeToken()) == std::optional<std::string>("t1"));
}

TEST_CASE(
    "A change page or listing fetched before a local removal does not bring "
    "the item back",
    "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  MustOk(store->Upsert(
      {Folder("d", "root", "d"), File("a", "d", "a"), File("b", "d", "b")}));
  const ChangeRead before(store.get());  // readers under way
  const uint64_t before_removal = before.mark();
  MustOk(store->Remove("a"));
  const ChangeRead after(store.get());
  const uint64_t after_removal = after.mark();
  CHECK(after_removal > before_removal);

  // The page was fetched while "a" was still alive on Drive.
  auto stale = Must(store->ApplyChanges(
      {Changed(File("a", "d", "a")), Changed(File("c", "d", "c"))}, "t1",
      before_removal));
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].id == "c");  // others on the same page still apply
  CHECK_FALSE(Must(store->Get("a")).has_value());
  // A listing page fetched before the removal: the same.
  std::vector<Entry> listed;
  MustOk(store->StoreListingPart("d",
                                 {File("a", "d", "a"), File("b", "d", "b")},
                                 &listed, before_removal));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == "b");
  CHECK_FALSE(Must(store->Get("a")).has_value());

  // Fetched after the removal, Drive's word stands (here: it came back,
  // say restored by someone else).
  auto fresh = Must(
      store->ApplyChanges({Changed(File("a", "d", "a"))}, "t2", after_removal));
  CHECK(fresh.size() == 1);
  CHECK(Must(store->Get("a")).has_value());
}

TEST_CASE(
    "A listing fetched before the change feed's removal does not bring the "
    "item back",
    "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  MustOk(store->Upsert({Folder("d", "root", "d"), File("a", "d", "a")}));
  // A listing of d begins; someone deletes a (stored) and b (new, not yet
  // stored) for good, and the change feed applies that; then the listing's
  // page, fetched before, arrives naming both.
  const ChangeRead listing(store.get());
  Must(store->ApplyChanges({Removed("a"), Removed("b")}, "t1"));
  std::vector<Entry> listed;
  MustOk(store->StoreListingPart("d",
                                 {File("a", "d", "a"), File("b", "d", "b")},
                                 &listed, listing.mark()));
  CHECK(listed.empty());
  CHECK_FALSE(Must(store->Get("a")).has_value());
  CHECK_FALSE(Must(store->Get("b")).has_value());
  // A listing that began after the removal has Drive's word (restored).
  const ChangeRead later(store.get());
  MustOk(store->StoreListingPart("d", {File("a", "d", "a")}, &listed,
                                 later.mark()));
  CHECK(Must(store->Get("a")).has_value());
}

TEST_CASE(
    "A removal Drive may still gain hides the item from every page until it "
    "is settled",
    "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));
  MustOk(store->Upsert({Folder("d", "root", "d")}));
  MustOk(store->Remove("new", /*drive_may_gain=*/true));
  // The uploader's create landed on Drive after the removal: pages fetched
  // any time before the uploader trashed it show it alive.
  {
    const ChangeRead during(store.get());
    CHECK(Must(store->ApplyChanges({Changed(File("new", "d", "n"))}, "t1",
                                   during.mark()))
              .empty());
  }
  CHECK(Must(store->ApplyChanges({Changed(File("new", "d", "n"))}, "t1"))
            .empty());
  CHECK(store->RemovedHere("new"));  // open: no reader needed
  const ChangeRead before_settled(store.get());
  store->SettleRemoval("new");
  CHECK(Must(store->ApplyChanges({Changed(File("new", "d", "n"))}, "t2",
                                 before_settled.mark()))
            .empty());
  const ChangeRead after_settled(store.get());
  auto after = Must(store->ApplyChanges({Changed(File("new", "d", "n"))}, "t3",
                                        after_settled.mark()));
  CHECK(after.size() == 1);
}

TEST_CASE("A listing fetched before a move into its folder keeps the file",
          "[unit][meta]") {
  auto store = OpenStore();
  MustOk(store->ReplaceChildren("p", {File("a", "p", "a")}, 1000));
  MustOk(store->Upsert({File("x", "q", "x")}));
  // A listing of p begins (it will not list x), then x is moved into p
  // here, then the listing ends.
  const uint64_t mark = store->BeginChangeRead();
  MustOk(store->Upsert({File("x", "p", "x")}));
  MustOk(store->StoreListingPart("p", {File("a", "p", "a")}, nullptr, mark));
  MustOk(store->FinishListing("p", {"a"}, 2000, mark));
  auto x = Must(store->Get("x"));
  REQUIRE(x.has_value());
  CHECK(x->parent_id == "p");
  // A listing that began after the move has Drive's word on it.
  const uint64_t later = store->BeginChangeRead();
  MustOk(store->FinishListing("p", {"a"}, 3000, later));
  CHECK_FALSE(Must(store->Get("x")).has_value());
  store->EndChangeRead(later);
  store->EndChangeRead(mark);
}

TEST_CASE("The local change log keeps a bounded number of stamps",
          "[unit][meta]") {
  LocalChangeLog log;
  const uint64_t start = log.BeginRead();
  for (size_t i = 0; i < LocalChangeLog::kMaxStamps + 10; ++i)
    log.Removed("id" + std::to_string(i), false);
  CHECK(log.size() == LocalChangeLog::kMaxStamps);
  CHECK_FALSE(log.Hides("id0", start));  // the oldest were forgotten
  CHECK(
      log.Hides("id" + std::to_string(LocalChangeLog::kMaxStamps + 9), start));
  log.Removed("open", true);
  CHECK(log.Hides("open", LocalChangeLog::kLatest));
  log.Settle("open");
  CHECK_FALSE(log.Hides("open", log.Mark()));
  CHECK(log.Hides("open", log.Mark() - 1));
  // No reader left: the settled stamps hide nothing from anyone.
  log.EndRead(start);
  CHECK(log.size() == 0);
  // With no reader under way a removal is not stamped, but one Drive may
  // still gain is kept until settled.
  log.Removed("unread-removal", false);
  CHECK_FALSE(log.Contains("unread-removal"));
  log.Removed("unread-open", true);
  CHECK(log.Contains("unread-open"));
  CHECK(log.Hides("unread-open", log.Mark()));
  log.Removed("unread-open", false);  // reported again: still open
  CHECK(log.Hides("unread-open", log.Mark()));
  log.Settle("unread-open");
  CHECK_FALSE(log.Contains("unread-open"));

  // Stores are stamped only while a reader is under way.
  log.Stored("unread");
  CHECK(log.stored_size() == 0);
  const uint64_t before_stores = log.BeginRead();
  for (size_t i = 0; i < LocalChangeLog::kMaxStamps + 10; ++i)
    log.Stored("s" + std::to_string(i));
  CHECK(log.stored_size() == LocalChangeLog::kMaxStamps);
  CHECK_FALSE(log.StoredSince("s0", before_stores));
  CHECK(log.StoredSince("s" + std::to_string(LocalChangeLog::kMaxStamps + 9),
                        before_stores));
  CHECK_FALSE(log.StoredSince("s20", log.Mark()));
  // Stored again: stamped anew.
  const uint64_t later = log.Mark();
  log.Stored("s20");
  CHECK(log.StoredSince("s20", later));
  // What changed since a mark: removals (open ones always) and stores; a
  // mark older than the forgotten stamps gets a partial answer.
  const uint64_t recent = log.Mark();
  log.Removed("gone", false);
  log.Stored("moved");
  log.Removed("sending", true);
  std::vector<std::string> ids;
  CHECK(log.ChangedSince(recent, &ids));
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"gone", "moved", "sending"});
  ids.clear();
  CHECK_FALSE(log.ChangedSince(before_stores, &ids));
  // The last reader done: no stamp is of use any more.
  const uint64_t second = log.BeginRead();
  log.Stored("during-second");
  log.EndRead(before_stores);
  CHECK(log.stored_size() == 1);  // the second reader may still ask
  CHECK(log.StoredSince("during-second", second));
  log.EndRead(second);
  CHECK(log.stored_size() == 0);
  CHECK(log.size() == 1);  // "sending": open until settled
  CHECK(log.Contains("sending"));
}

}  // namespace
}  // namespace gdmount::meta
