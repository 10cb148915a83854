// Items another user shared with the emulated user ("Shared with me"):
// seeded from .shared/ or shared at run time through /__emulator/share.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/emulator/seed.h"
#include "tests/support/emulator_fixture.h"

using gdmount::testing::EmulatorFixture;
using gdmount::testing::Q;
namespace fs = std::filesystem;

namespace {

constexpr const char* kFields =
    "files(id,name,parents,ownedByMe,owners,shared,sharedWithMeTime,"
    "createdTime,capabilities)";

void Write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// A seed tree: mine.txt in My Drive; a colleague's folder Project (a.txt,
// b.txt) and file memo.txt shared with the user.
class SharedSeed {
 public:
  SharedSeed() {
    std::string tmpl =
        (fs::temp_directory_path() / "gdm-share-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    Write(dir_ / "mine.txt", "my bytes");
    Write(dir_ / ".shared/Project/a.txt", "aaa");
    Write(dir_ / ".shared/Project/b.txt", "bbbb");
    Write(dir_ / ".shared/memo.txt", "memo!");
  }
  ~SharedSeed() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir() const { return dir_.string(); }

  // An in-process emulator seeded from this tree.
  std::unique_ptr<EmulatorFixture> Start() const {
    std::shared_ptr<gdmount::emulator::Journal> journal =
        std::move(gdmount::emulator::Journal::Ephemeral().value());
    std::string dir = dir_.string();
    return std::make_unique<EmulatorFixture>(
        gdmount::emulator::EmulatorOptions{},
        [dir, journal](gdmount::emulator::Emulator& e) {
          REQUIRE(gdmount::emulator::SeedFromDirectory(dir, &e.store(),
                                                       journal.get())
                      .ok());
        },
        journal);
  }

 private:
  fs::path dir_;
};

nlohmann::json List(EmulatorFixture& fx, const std::string& q,
                    const std::string& extra = "") {
  auto r = fx.Call("GET", "/drive/v3/files?pageSize=100&fields=" +
                              std::string(kFields) + "&q=" + Q(q) + extra);
  REQUIRE(r.status == 200);
  return r.json()["files"];
}

std::set<std::string> Names(const nlohmann::json& files) {
  std::set<std::string> out;
  for (const auto& f : files) out.insert(f["name"].get<std::string>());
  return out;
}

std::string IdOf(const nlohmann::json& files, const std::string& name) {
  for (const auto& f : files)
    if (f["name"] == name) return f["id"];
  FAIL("no " << name);
  return "";
}

}  // namespace

TEST_CASE("seeded .shared items are shared with the user, without parents",
          "[integration]") {
  SharedSeed seed;
  auto fx = seed.Start();
  nlohmann::json shared = List(*fx, "sharedWithMe = true");
  CHECK(Names(shared) == std::set<std::string>{"Project", "memo.txt"});
  for (const auto& f : shared) {
    INFO(f.dump());
    CHECK_FALSE(f.contains("parents"));
    CHECK(f["ownedByMe"] == false);
    CHECK(f["shared"] == true);
    CHECK(f["owners"][0]["emailAddress"] == "colleague@example.com");
    CHECK(f["owners"][0]["displayName"] == "Colleague");
    CHECK(f["owners"][0]["me"] == false);
    CHECK(f["sharedWithMeTime"] == f["createdTime"]);
    const auto& caps = f["capabilities"];
    for (const char* cap :
         {"canEdit", "canTrash", "canDelete", "canRename", "canAddChildren"})
      CHECK(caps[cap] == false);
    CHECK(caps["canDownload"] == true);
  }
  // My Drive: only the user's own item.
  nlohmann::json root = List(*fx, "'root' in parents");
  CHECK(Names(root) == std::set<std::string>{"mine.txt"});
  CHECK(root[0]["ownedByMe"] == true);
  CHECK(root[0]["shared"] == false);
  CHECK_FALSE(root[0].contains("sharedWithMeTime"));
  CHECK(Names(List(*fx, "sharedWithMe != true and 'root' in parents")) ==
        std::set<std::string>{"mine.txt"});
}

TEST_CASE("a shared folder lists its children, which are not sharedWithMe",
          "[integration]") {
  SharedSeed seed;
  auto fx = seed.Start();
  std::string project = IdOf(List(*fx, "sharedWithMe = true"), "Project");
  nlohmann::json kids = List(*fx, "'" + project + "' in parents");
  CHECK(Names(kids) == std::set<std::string>{"a.txt", "b.txt"});
  for (const auto& f : kids) {
    CHECK(f["parents"] == nlohmann::json::array({project}));
    CHECK(f["ownedByMe"] == false);
    CHECK_FALSE(f.contains("sharedWithMeTime"));
    CHECK(f["capabilities"]["canEdit"] == false);
  }
  CHECK(List(*fx, "'" + project + "' in parents and sharedWithMe = true")
            .empty());
  auto a =
      fx->Call("GET", "/drive/v3/files/" + IdOf(kids, "a.txt") + "?alt=media");
  CHECK(a.body == "aaa");
  // corpora=user (the default) covers My Drive and what is shared.
  CHECK(Names(List(*fx, "trashed = false", "&corpora=user")) ==
        std::set<std::string>{"mine.txt", "Project", "a.txt", "b.txt",
                              "memo.txt"});
  CHECK(Names(List(*fx, "'colleague@example.com' in owners")) ==
        std::set<std::string>{"Project", "a.txt", "b.txt", "memo.txt"});
  CHECK(Names(List(*fx, "'me' in owners")) ==
        std::set<std::string>{"mine.txt"});
}

TEST_CASE("shared items are read-only and use none of the user's quota",
          "[integration]") {
  SharedSeed seed;
  auto fx = seed.Start();
  nlohmann::json shared = List(*fx, "sharedWithMe = true");
  std::string memo = IdOf(shared, "memo.txt");
  std::string project = IdOf(shared, "Project");
  std::string child = IdOf(List(*fx, "'" + project + "' in parents"), "a.txt");
  for (const std::string& id : {memo, project, child}) {
    auto trash =
        fx->Call("PATCH", "/drive/v3/files/" + id, R"({"trashed":true})",
                 {"Content-Type: application/json"});
    CHECK(trash.status == 403);
    CHECK(trash.reason() == "insufficientFilePermissions");
    CHECK(fx->Call("DELETE", "/drive/v3/files/" + id).status == 403);
  }
  auto add = fx->Call("POST", "/drive/v3/files",
                      R"({"name":"x","parents":[")" + project + R"("]})",
                      {"Content-Type: application/json"});
  CHECK(add.status == 403);
  auto about = fx->Call("GET", "/drive/v3/about?fields=storageQuota").json();
  CHECK(about["storageQuota"]["usage"] == "8");  // mine.txt only
  CHECK(about["storageQuota"]["usageInDrive"] == "8");
}

TEST_CASE("runtime share: the item leaves My Drive and shows in changes",
          "[integration]") {
  EmulatorFixture fx;
  std::string start = fx.Call("GET", "/drive/v3/changes/startPageToken")
                          .json()["startPageToken"];
  std::string first = fx.Upload("first.txt", "1")["id"];
  std::string later = fx.Upload("later.txt", "22")["id"];
  REQUIRE(fx.Raw("POST", "/__emulator/share?id=" + first).status == 200);
  fx.AdvanceMs(5000);
  auto r = fx.Raw("POST", "/__emulator/share?id=" + later +
                              "&email=boss@example.com&name=Boss");
  REQUIRE(r.status == 200);
  CHECK(r.json()["owners"][0]["emailAddress"] == "boss@example.com");
  CHECK_FALSE(r.json().contains("parents"));
  CHECK(fx.Raw("POST", "/__emulator/share?id=nope").status == 404);

  nlohmann::json newest =
      List(fx, "sharedWithMe = true", "&orderBy=" + Q("sharedWithMeTime desc"));
  REQUIRE(newest.size() == 2);
  CHECK(newest[0]["name"] == "later.txt");
  CHECK(newest[0]["sharedWithMeTime"] == "2026-01-01T00:00:05.000Z");
  CHECK(List(fx, "'root' in parents").empty());
  auto about = fx.Call("GET", "/drive/v3/about?fields=storageQuota").json();
  CHECK(about["storageQuota"]["usage"] == "0");

  auto changes = fx.Call("GET", "/drive/v3/changes?pageToken=" + start +
                                    "&fields=changes(fileId,file(parents))")
                     .json()["changes"];
  REQUIRE(changes.size() == 2);
  CHECK_FALSE(changes[1]["file"].contains("parents"));
  auto mine_only = fx.Call("GET", "/drive/v3/changes?pageToken=" + start +
                                      "&restrictToMyDrive=true")
                       .json()["changes"];
  CHECK(mine_only.empty());
}
