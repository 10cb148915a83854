// vfs::Tree over the real Drive client and metadata store against the
// emulator: a folder is listed once, then served locally; concurrent
// lookups share one listing; a reopened store needs no listing at all.
#include "vfs/tree.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/emulator/seed.h"
#include "tests/support/drive_rig.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/gated_transport.h"
#include "tests/support/temp_dir.h"

namespace gdmount::vfs {
namespace {

using testing::EmulatorFixture;

int64_t ListCalls(EmulatorFixture& fx) {
  nlohmann::json stats = fx.Stats();
  return stats["methods"].value("files.list", int64_t{0});
}

struct Stack {
  Stack(EmulatorFixture& fx, const std::string& db_path,
        TreeOptions options = {})
      : drive(fx, 5) {
    store = std::move(meta::MetadataStore::Open(db_path).value());
    tree = std::make_unique<Tree>(store.get(), drive.client.get(), RealClock(),
                                  options);
    REQUIRE(tree->Init().ok());
  }
  testing::DriveRig drive;
  std::unique_ptr<meta::MetadataStore> store;
  std::unique_ptr<Tree> tree;
};

std::string IdOf(Tree& tree, const std::string& folder,
                 const std::string& name) {
  auto c = tree.Lookup(folder, name);
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  return (*c)->entry.id;
}

TEST_CASE("A folder is listed once, then lookups are local",
          "[integration][vfs]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("big/=2500x0", &emu.store()).ok());
  });
  fx.Upload("a/b.txt", "slash");
  fx.Upload("twin.txt", "one");
  fx.Upload("twin.txt", "two");
  testing::TempDir dir;
  Stack s(fx, dir.path() + "/meta.db");
  std::string big = IdOf(*s.tree, s.tree->root_id(), "big");
  int64_t before = ListCalls(fx);
  auto children = s.tree->List(big);
  REQUIRE(children.ok());
  CHECK(children->size() == 2500);
  CHECK(ListCalls(fx) - before == 3);  // 1000 + 1000 + 500
  // Everything after the listing is local: hits, misses, a second listing.
  auto hit = s.tree->Lookup(big, (*children)[1234].name);
  REQUIRE(hit.ok());
  CHECK(hit->has_value());
  auto miss = s.tree->Lookup(big, "no-such-file");
  REQUIRE(miss.ok());
  CHECK_FALSE(miss->has_value());
  REQUIRE(s.tree->List(big).ok());
  CHECK(ListCalls(fx) - before == 3);

  // Name rules applied: '/' shown as a look-alike, twins told apart.
  auto root = s.tree->List(s.tree->root_id());
  REQUIRE(root.ok());
  std::set<std::string> names;
  for (const auto& c : *root) names.insert(c.name);
  CHECK(names.count("a\u2215b.txt") == 1);
  CHECK(names.count("twin.txt") == 1);
  CHECK(names.size() == root->size());
  // big, a/b.txt, the twins, and the root's own .Trash and .shared
  CHECK(root->size() == 6);
  CHECK(names.count(".Trash") == 1);
  CHECK(names.count(".shared") == 1);
}

TEST_CASE(
    "Changes made while a folder is listed show in its view, not the "
    "listing's older state",
    "[integration][vfs]") {
  // 10,000 entries: the first 8,192 are stored (one ListingWriter batch)
  // while the last page is still to come.
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("big/=10000x0", &emu.store()).ok());
  });
  auto id_of = [&](const std::string& name) {
    auto r = fx.Call("GET", "/drive/v3/files?fields=files(id)&q=" +
                                testing::Q("name = '" + name + "'"));
    REQUIRE(r.status == 200);
    REQUIRE(r.json()["files"].size() == 1);
    return r.json()["files"][0]["id"].get<std::string>();
  };
  const std::string big = id_of("big");
  const std::string renamed = id_of("000001.bin");
  const std::string moved = id_of("000002.bin");
  const std::string incoming = fx.Upload("incoming.txt", "in")["id"];
  testing::TempDir dir;
  auto store =
      std::move(meta::MetadataStore::Open(dir.path() + "/meta.db").value());
  std::unique_ptr<testing::GatedTransport> gate;  // outlives the rig
  testing::DriveRig rig(fx, 3, [&gate](HttpTransport* inner) {
    gate = std::make_unique<testing::GatedTransport>(inner, "files.list");
    return gate.get();
  });
  testing::GatedTransport& gated = *gate;
  drive::DriveClientImpl& client = *rig.client;
  Tree tree(store.get(), &client, RealClock());
  REQUIRE(tree.Init().ok());
  const std::string root = tree.root_id();
  REQUIRE(tree.List(root).ok());

  // A new file of this mount, journaled: Drive has it only once its upload
  // lands, which happens while the listing runs (so the listing does not
  // name it, and the journal no longer does either).
  drive::DriveFile fresh;
  fresh.id = "fresh-id";
  fresh.name = "fresh.txt";
  fresh.parents = {big};
  fresh.mime_type = "text/plain";
  fresh.size = 0;
  REQUIRE(store->PutLocal(fresh, big).ok());
  meta::PendingUpload row;
  row.id = fresh.id;
  row.create = true;
  row.parent_id = big;
  row.name = fresh.name;
  row.staging_path = dir.path() + "/staged";
  auto generation = store->CommitUpload(row, fresh);
  REQUIRE(generation.ok());

  gated.Hold(10);  // the listing's last page (1,000 a page)
  Result<std::vector<Child>> listed = Status(StatusCode::kInternal, "");
  std::thread lister([&] { listed = tree.List(big); });
  gated.WaitHeld();
  // The first batch is in the store; wait for it (no sleep decides this).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool stored = false;
  while (!stored && std::chrono::steady_clock::now() < deadline) {
    auto e = store->Get(moved);
    stored = e.ok() && e->has_value();
    if (!stored) std::this_thread::yield();
  }
  REQUIRE(stored);
  // A rename, a move out of the folder and one into it, as Filesystem
  // makes them: on Drive, then stored, then applied to the views.
  auto change = [&](const std::string& id, const nlohmann::json& patch,
                    const std::string& to) {
    auto was = store->Get(id);
    REQUIRE(was.ok());
    REQUIRE(was->has_value());
    fx.Patch(id,
             to.empty()
                 ? std::string()
                 : "?addParents=" + to + "&removeParents=" + (*was)->parent_id,
             patch);
    auto e = store->Get(id);
    REQUIRE(e.ok());
    REQUIRE(e->has_value());
    drive::DriveFile f = meta::FromEntry(**e);
    const std::string from = (*e)->parent_id;
    if (patch.contains("name")) f.name = patch["name"];
    if (!to.empty()) f.parents = {to};
    f.version += 1;
    REQUIRE(store->Upsert({f}).ok());
    auto now = store->Get(id);
    REQUIRE(now.ok());
    REQUIRE(now->has_value());
    tree.ShowStored(from, {id});
    if ((*now)->parent_id != from) tree.ShowStored((*now)->parent_id, {id});
  };
  change(renamed, {{"name", "renamed.bin"}}, "");
  change(moved, nlohmann::json::object(), root);
  change(incoming, nlohmann::json::object(), big);
  drive::DriveFile landed = fresh;
  landed.version = 1;
  auto done = store->CompleteUpload(fresh.id, *generation, landed);
  REQUIRE(done.ok());
  REQUIRE(*done == meta::MetadataStore::UploadOutcome::kDone);
  gated.Open();
  lister.join();
  REQUIRE(listed.ok());

  std::set<std::string> names;
  for (const Child& c : *listed) names.insert(c.name);
  CHECK(names.count("renamed.bin") == 1);
  CHECK(names.count("000001.bin") == 0);
  CHECK(names.count("000002.bin") == 0);
  CHECK(names.count("incoming.txt") == 1);
  CHECK(names.count("fresh.txt") == 1);
  CHECK(listed->size() == 10001);
  // The kept view agrees (lookups answer from it).
  auto old_name = tree.Lookup(big, "000001.bin");
  REQUIRE(old_name.ok());
  CHECK_FALSE(old_name->has_value());
  auto gone = tree.Lookup(big, "000002.bin");
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->has_value());
  auto there = tree.Lookup(big, "renamed.bin");
  REQUIRE(there.ok());
  REQUIRE(there->has_value());
  CHECK((*there)->entry.id == renamed);
  auto in_root = tree.Lookup(root, "000002.bin");
  REQUIRE(in_root.ok());
  CHECK(in_root->has_value());
  auto arrived = tree.Lookup(big, "incoming.txt");
  REQUIRE(arrived.ok());
  CHECK(arrived->has_value());
  // The store kept it too: a later view built from it shows it.
  auto stored_in = store->Get(incoming);
  REQUIRE(stored_in.ok());
  REQUIRE(stored_in->has_value());
  CHECK((*stored_in)->parent_id == big);
  auto stored_fresh = store->Get(fresh.id);
  REQUIRE(stored_fresh.ok());
  CHECK(stored_fresh->has_value());
}

// The soak once listed a file beside the one renamed over it: a change
// page stored before the rename showed the replaced file alive, and its
// view update ran after the rename's.
TEST_CASE(
    "A change page applied to the views after a local change does not undo "
    "it",
    "[integration][vfs]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("d/=3x1", &emu.store()).ok());
  });
  testing::TempDir dir;
  Stack s(fx, dir.path() + "/meta.db");
  const std::string d = IdOf(*s.tree, s.tree->root_id(), "d");
  const std::string replaced = IdOf(*s.tree, d, "000001.bin");
  const std::string renamed = IdOf(*s.tree, d, "000002.bin");
  const std::string kept = IdOf(*s.tree, d, "000003.bin");

  // The change feed stores a page naming all three alive, with new
  // versions (their uploads landed)...
  std::vector<drive::Change> page;
  for (const std::string& id : {replaced, renamed, kept}) {
    auto e = s.store->Get(id);
    REQUIRE(e.ok());
    REQUIRE(e->has_value());
    drive::Change c;
    c.change_type = "file";
    c.file_id = id;
    c.file = meta::FromEntry(**e);
    c.file->version += 1;
    c.file->size = *c.file->size + 1;
    page.push_back(std::move(c));
  }
  auto applied = s.store->ApplyChanges(page, "t1");
  REQUIRE(applied.ok());
  REQUIRE(applied->size() == 3);

  // ...then, before it updates the views, 000002.bin is renamed over
  // 000001.bin here: stored, and shown.
  REQUIRE(s.store->Remove(replaced).ok());
  s.tree->ShowStored(d, {replaced});
  auto r = s.store->Get(renamed);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  drive::DriveFile moved = meta::FromEntry(**r);
  moved.name = "000001.bin";
  moved.version += 1;
  REQUIRE(s.store->Upsert({moved}).ok());
  s.tree->ShowStored(d, {renamed});

  // The page's view update comes last: the store's word stands.
  (void)s.tree->ApplyRemote(*applied);
  auto listed = s.tree->List(d);
  REQUIRE(listed.ok());
  std::map<std::string, std::string> shown;  // name -> id
  for (const Child& c : *listed) shown[c.name] = c.entry.id;
  CHECK(shown == std::map<std::string, std::string>{{"000001.bin", renamed},
                                                    {"000003.bin", kept}});
  // What the page did change (000003.bin's new size) shows.
  auto k = s.tree->Lookup(d, "000003.bin");
  REQUIRE(k.ok());
  REQUIRE(k->has_value());
  CHECK((*k)->entry.size == 2);
}

TEST_CASE("Concurrent lookups in an unlisted folder share one listing",
          "[integration][vfs]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("many/=1500x0", &emu.store()).ok());
  });
  testing::TempDir dir;
  Stack s(fx, dir.path() + "/meta.db");
  std::string many = IdOf(*s.tree, s.tree->root_id(), "many");
  uint64_t listings_before = s.tree->listings();
  int64_t before = ListCalls(fx);
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      auto c = s.tree->Lookup(many, "missing-" + std::to_string(t));
      if (c.ok() && !c->has_value()) ++found;
    });
  for (auto& th : threads) th.join();
  CHECK(found == 8);
  CHECK(s.tree->listings() - listings_before == 1);
  CHECK(ListCalls(fx) - before == 2);  // one listing of two pages
}

TEST_CASE(
    "A reopened store serves listed folders with the same inodes and "
    "no listing",
    "[integration][vfs]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("data/=50x10", &emu.store()).ok());
  });
  testing::TempDir dir;
  std::map<std::string, uint64_t> inodes;
  std::string data;
  {
    Stack s(fx, dir.path() + "/meta.db");
    data = IdOf(*s.tree, s.tree->root_id(), "data");
    auto list = s.tree->List(data);
    REQUIRE(list.ok());
    for (const auto& c : *list) inodes[c.name] = c.entry.ino;
  }
  int64_t before = ListCalls(fx);
  Stack again(fx, dir.path() + "/meta.db");
  auto list = again.tree->List(data);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 50);
  for (const auto& c : *list) CHECK(inodes.at(c.name) == c.entry.ino);
  CHECK(ListCalls(fx) - before == 0);
}

using Path = std::vector<std::string>;

TEST_CASE(
    "Folder views past the memory cap are dropped and rebuilt from the "
    "store, with no listing",
    "[integration][vfs]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("a/=600x0,b/=600x0", &emu.store()).ok());
  });
  testing::TempDir dir;
  TreeOptions options;
  options.max_view_entries = 1000;
  Stack s(fx, dir.path() + "/meta.db", options);
  const std::string a = IdOf(*s.tree, s.tree->root_id(), "a");
  const std::string b = IdOf(*s.tree, s.tree->root_id(), "b");
  auto a_first = s.tree->List(a);
  REQUIRE(a_first.ok());
  REQUIRE(a_first->size() == 600);
  REQUIRE(s.tree->List(b).ok());
  // a and the root (older) went; b, the one in use, stays.
  Tree::ViewStats kept = s.tree->view_stats();
  CHECK(kept.views == 1);
  CHECK(kept.entries == 601);  // one more per view
  CHECK(kept.evictions == 2);
  const int64_t lists = ListCalls(fx);
  const uint64_t listings = s.tree->listings();

  // A change made here while a's view is out of memory: the store has it.
  const std::string id = (*a_first)[17].entry.id;
  auto e = s.store->Get(id);
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  drive::DriveFile f = meta::FromEntry(**e);
  f.name = "renamed.bin";
  f.version += 1;
  REQUIRE(s.store->Upsert({f}).ok());
  auto now = s.store->Get(id);
  REQUIRE(now.ok());
  s.tree->ShowStored(a, {id});  // no view: left alone

  auto hit = s.tree->Lookup(a, "renamed.bin");
  REQUIRE(hit.ok());
  REQUIRE(hit->has_value());
  CHECK((*hit)->entry.id == id);
  auto a_again = s.tree->List(a);
  REQUIRE(a_again.ok());
  REQUIRE(a_again->size() == 600);
  std::set<std::string> before, after;
  for (const Child& c : *a_first)
    if (c.entry.id != id) before.insert(c.name);
  for (const Child& c : *a_again)
    if (c.entry.id != id) after.insert(c.name);
  CHECK(before == after);
  CHECK(ListCalls(fx) == lists);  // rebuilt from the store: no API call
  CHECK(s.tree->listings() == listings);
  kept = s.tree->view_stats();
  CHECK(kept.entries <= 1000);
  CHECK(kept.views == 1);
}

TEST_CASE("PathOf gives display-name paths, through .shared, trash is apart",
          "[integration][vfs]") {
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    REQUIRE(emulator::GenerateFromSpec("a/b/=1x10,theirs/=1x10", &emu.store())
                .ok());
  });
  std::string root = fx.emu().store().root_id();
  auto in = [&fx](const std::string& parent, const std::string& name) {
    auto r = fx.Call("GET", "/drive/v3/files?fields=files(id)&q=" +
                                testing::Q("name = '" + name + "' and '" +
                                           parent + "' in parents"));
    REQUIRE(r.json()["files"].size() == 1);
    return r.json()["files"][0]["id"].get<std::string>();
  };
  std::string deep = in(in(in(root, "a"), "b"), "000001.bin");
  std::string theirs = in(root, "theirs");
  std::string shared_file = in(theirs, "000001.bin");
  REQUIRE(fx.Raw("POST", "/__emulator/share?id=" + theirs).status == 200);
  std::string gone = fx.Upload("x/y.txt", "trashed")["id"];
  REQUIRE(fx.Call("PATCH", "/drive/v3/files/" + gone, R"({"trashed":true})",
                  {"Content-Type: application/json"})
              .status == 200);
  testing::TempDir dir;
  Stack s(fx, dir.path() + "/meta.db");

  CHECK(s.tree->PathOf(root).value() == Path{});
  CHECK(s.tree->PathOf(deep).value() == Path{"a", "b", "000001.bin"});
  CHECK(s.tree->PathOf(shared_file).value() ==
        Path{".shared", "theirs", "000001.bin"});
  auto trashed = s.tree->PathOf(gone);
  CHECK(trashed.status().message().find("is in the trash") !=
        std::string::npos);
  CHECK(s.tree->PathOf("no-such-id").status().code() == StatusCode::kNotFound);
  // .Trash lists the trashed file by its display name ('/' look-alike).
  auto in_trash = s.tree->Lookup(kTrashId, "x\u2215y.txt");
  REQUIRE(in_trash.ok());
  REQUIRE(in_trash->has_value());
  CHECK((*in_trash)->entry.id == gone);

  // Without .shared, a shared item is outside the mount.
  testing::TempDir other;
  TreeOptions hidden;
  hidden.show_shared = false;
  hidden.show_trash = false;
  Stack plain(fx, other.path() + "/meta.db", hidden);
  auto outside = plain.tree->PathOf(shared_file);
  CHECK(outside.status().message().find("outside this mount") !=
        std::string::npos);
  auto names = plain.tree->List(plain.tree->root_id());
  REQUIRE(names.ok());
  for (const auto& c : *names) CHECK(c.name[0] != '.');
}

}  // namespace
}  // namespace gdmount::vfs
