// files.* over HTTP against the in-process emulator: listing, paging, fields,
// errors, and Drive's non-POSIX semantics (duplicates, '/', one parent, trash).
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/emulator/gzip.h"
#include "tests/support/emulator_fixture.h"

using gdmount::testing::EmulatorFixture;
using gdmount::testing::Q;

namespace {

std::string ChildrenQuery(const std::string& id) {
  return Q("'" + id + "' in parents and trashed = false");
}

// The ids `q` lists in pages of `page_size`, following nextPageToken to the
// end; *pages counts the requests.
std::vector<std::string> ListAll(EmulatorFixture& fx, const std::string& q,
                                 const std::string& order_by, int page_size,
                                 int* pages = nullptr) {
  std::vector<std::string> ids;
  std::string token;
  int requests = 0;
  do {
    auto r =
        fx.Call("GET", "/drive/v3/files?fields=nextPageToken,files(id)" +
                           std::string("&pageSize=") +
                           std::to_string(page_size) + "&q=" + Q(q) +
                           (order_by.empty() ? "" : "&orderBy=" + Q(order_by)) +
                           (token.empty() ? "" : "&pageToken=" + Q(token)));
    REQUIRE(r.status == 200);
    auto j = r.json();
    for (const auto& f : j["files"]) ids.push_back(f["id"]);
    token = j.value("nextPageToken", "");
    ++requests;
  } while (!token.empty() && requests <= 10000);
  if (pages) *pages = requests;
  return ids;
}

}  // namespace

TEST_CASE("files.list pages a folder exactly once, token absent at the end",
          "[integration]") {
  EmulatorFixture fx;
  auto dir = fx.Mkdir("paged");
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i)
    created.insert(fx.Upload("f" + std::to_string(i), "x", dir["id"])["id"]);
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto r = fx.Call(
        "GET", "/drive/v3/files?pageSize=3&fields=nextPageToken,files(id)&q=" +
                   ChildrenQuery(dir["id"]) +
                   (token.empty() ? "" : "&pageToken=" + Q(token)));
    REQUIRE(r.status == 200);
    auto j = r.json();
    for (const auto& f : j["files"])
      CHECK(seen.insert(f["id"].get<std::string>()).second);
    token = j.value("nextPageToken", "");
    ++pages;
  } while (!token.empty());
  CHECK(seen == created);
  CHECK(pages == 3);
}

// Pins what files.list's paging relies on: each page is the next slice of
// one fixed order (creation order by default; with orderBy, ties fall back
// to creation order), however the listing is cut into pages.
TEST_CASE(
    "files.list pages of a large folder follow one order, with and "
    "without orderBy",
    "[integration]") {
  constexpr int kFiles = 5000;
  struct Seeded {
    std::string id;
    std::string name;
    int64_t modified_ms;
  };
  std::vector<Seeded> seeded;  // in creation order
  std::string dir;
  EmulatorFixture fx({}, [&](gdmount::emulator::Emulator& e) {
    dir = e.store().SeedFolder(e.store().root_id(), "big");
    for (int i = 0; i < kFiles; ++i) {
      gdmount::emulator::FileRecord rec;
      rec.name = "n" + std::to_string(i * 7919 % 1000);  // 5 of each name
      rec.mime_type = "text/plain";
      rec.modified_ms = 1700000000000 + i % 7 * 1000;
      std::string name = rec.name;
      seeded.push_back({e.store().SeedFile(dir, rec), name, rec.modified_ms});
    }
  });
  auto ids_sorted_by = [&](auto less) {
    std::vector<Seeded> sorted = seeded;
    std::stable_sort(sorted.begin(), sorted.end(), less);
    std::vector<std::string> ids;
    for (const auto& s : sorted) ids.push_back(s.id);
    return ids;
  };
  // Stable: equal keys stay in creation order.
  const std::vector<std::string> by_creation =
      ids_sorted_by([](const Seeded&, const Seeded&) { return false; });
  const std::vector<std::string> by_name = ids_sorted_by(
      [](const Seeded& a, const Seeded& b) { return a.name < b.name; });
  const std::vector<std::string> by_newest_then_name =
      ids_sorted_by([](const Seeded& a, const Seeded& b) {
        if (a.modified_ms != b.modified_ms)
          return a.modified_ms > b.modified_ms;
        return a.name < b.name;
      });
  std::string children = "'" + dir + "' in parents and trashed = false";

  int pages = 0;
  CHECK(ListAll(fx, children, "", 1000, &pages) == by_creation);
  CHECK(pages == 5);
  CHECK(ListAll(fx, children, "", 333) == by_creation);
  CHECK(ListAll(fx, children, "name", 1000, &pages) == by_name);
  CHECK(pages == 5);
  CHECK(ListAll(fx, children, "name", 333) == by_name);
  CHECK(ListAll(fx, children, "modifiedTime desc,name", 1000) ==
        by_newest_then_name);
  CHECK(ListAll(fx, children, "modifiedTime desc,name", 777) ==
        by_newest_then_name);
  // Without a parent the whole store is searched; same orders.
  CHECK(ListAll(fx, "mimeType = 'text/plain'", "", 1000) == by_creation);
  CHECK(ListAll(fx, "mimeType = 'text/plain'", "", 451) == by_creation);
  CHECK(ListAll(fx, "mimeType = 'text/plain'", "name", 1000) == by_name);
  CHECK(ListAll(fx, "mimeType = 'text/plain'", "name", 451) == by_name);
}

TEST_CASE("files.list honours a fields mask that omits nextPageToken",
          "[integration]") {
  EmulatorFixture fx;
  for (int i = 0; i < 3; ++i) fx.Upload("g" + std::to_string(i), "x");
  auto r = fx.Call("GET", "/drive/v3/files?pageSize=1&fields=files(id)");
  REQUIRE(r.status == 200);
  CHECK_FALSE(r.json().contains("nextPageToken"));
  CHECK(r.json()["files"].size() == 1);
  auto with = fx.Call("GET", "/drive/v3/files?pageSize=1");
  CHECK(with.json().contains("nextPageToken"));
  // Without fields, each file has exactly the default fields.
  auto f = with.json()["files"][0];
  std::set<std::string> keys;
  for (auto it = f.begin(); it != f.end(); ++it) keys.insert(it.key());
  CHECK(keys == std::set<std::string>{"kind", "id", "name", "mimeType"});
}

TEST_CASE("files.list rejects bad input with Drive's errors", "[integration]") {
  EmulatorFixture fx;
  auto bad_q = fx.Call("GET", "/drive/v3/files?q=" + Q("name = 'unterminated"));
  CHECK(bad_q.status == 400);
  CHECK(bad_q.reason() == "invalid");
  CHECK(bad_q.json()["error"]["errors"][0]["location"] == "q");
  CHECK(fx.Call("GET", "/drive/v3/files?pageSize=0").status == 400);
  CHECK(fx.Call("GET", "/drive/v3/files?pageSize=5000").status ==
        200);  // coerced to 1000
  CHECK(fx.Call("GET", "/drive/v3/files?bogusParam=1").status == 400);
  CHECK(fx.Call("GET", "/drive/v3/files?supportsAllDrives=maybe").status ==
        400);
  CHECK(fx.Call("GET", "/drive/v3/files?fields=files(nosuchfield)").status ==
        400);
  CHECK(fx.Call("GET", "/drive/v3/files?pageToken=garbage").status == 400);
  CHECK(fx.Call("GET", "/drive/v3/files?orderBy=sideways").status == 400);
}

TEST_CASE("files.list orderBy name, name desc and folder", "[integration]") {
  EmulatorFixture fx;
  fx.Upload("b", "x");
  fx.Upload("a10", "x");
  fx.Upload("a2", "x");
  fx.Mkdir("z-dir");
  auto names = [&](const std::string& order) {
    auto j =
        fx.Call("GET", "/drive/v3/files?fields=files(name)&orderBy=" + Q(order))
            .json();
    std::vector<std::string> out;
    for (const auto& f : j["files"]) out.push_back(f["name"]);
    return out;
  };
  CHECK(names("name") == std::vector<std::string>{"a10", "a2", "b", "z-dir"});
  CHECK(names("name_natural") ==
        std::vector<std::string>{"a2", "a10", "b", "z-dir"});
  CHECK(names("name desc") ==
        std::vector<std::string>{"z-dir", "b", "a2", "a10"});
  CHECK(names("folder,name") ==
        std::vector<std::string>{"z-dir", "a10", "a2", "b"});
}

TEST_CASE("files.get: root alias, default fields, 404 body", "[integration]") {
  EmulatorFixture fx;
  auto root = fx.Call("GET", "/drive/v3/files/root?fields=id,name,mimeType");
  REQUIRE(root.status == 200);
  CHECK(root.json()["id"] == fx.emu().store().root_id());
  CHECK(root.json()["mimeType"] == "application/vnd.google-apps.folder");
  auto missing = fx.Call("GET", "/drive/v3/files/nope123");
  CHECK(missing.status == 404);
  auto err = missing.json()["error"];
  CHECK(err["code"] == 404);
  CHECK(err["errors"][0]["reason"] == "notFound");
  CHECK(err["errors"][0]["location"] == "fileId");
  CHECK(err["message"] == "File not found: nope123.");
}

TEST_CASE("prettyPrint=false gives the same JSON without indentation",
          "[integration]") {
  EmulatorFixture fx;
  auto dir = fx.Mkdir("pp");
  for (int i = 0; i < 3; ++i)
    fx.Upload("f" + std::to_string(i), "x", dir["id"]);
  const std::string list =
      "/drive/v3/files?pageSize=2&q=" + ChildrenQuery(dir["id"]) +
      "&fields=nextPageToken,files(id,name,capabilities)";
  for (const std::string& path :
       {list, "/drive/v3/files/" + std::string(dir["id"]) + "?fields=*",
        std::string("/drive/v3/files/nope123?fields=id")}) {
    INFO(path);
    auto pretty = fx.Call("GET", path);
    auto compact = fx.Call("GET", path + "&prettyPrint=false");
    CHECK(pretty.status == compact.status);
    CHECK(pretty.body.find("\n  ") != std::string::npos);
    CHECK(compact.body.find("\n  ") == std::string::npos);
    CHECK(compact.body.find("\": ") == std::string::npos);
    CHECK(compact.json() == pretty.json());
    CHECK_FALSE(compact.json().is_discarded());
  }
  CHECK(fx.Call("GET", list + "&prettyPrint=maybe").status == 400);
}

TEST_CASE("JSON is gzipped only when asked as Google documents",
          "[integration]") {
  EmulatorFixture fx;
  auto file = fx.Upload("g.bin", std::string(5000, 'g'), "root");
  const std::string path =
      "/drive/v3/files/" + std::string(file["id"]) + "?fields=id,name,size";
  auto plain = fx.Call("GET", path);
  REQUIRE(plain.status == 200);
  auto both = fx.Call(
      "GET", path, "",
      {"Accept-Encoding: deflate, gzip", "User-Agent: test-client (gzip)"});
  REQUIRE(both.status == 200);
  CHECK(both.header("content-encoding") == "gzip");
  CHECK(gdmount::emulator::Gunzip(both.body) == plain.body);
  // Either half alone is not enough; q=0 refuses.
  for (std::vector<std::string> headers :
       {std::vector<std::string>{"Accept-Encoding: gzip",
                                 "User-Agent: test-client"},
        std::vector<std::string>{"User-Agent: test-client (gzip)"},
        std::vector<std::string>{"Accept-Encoding: gzip;q=0",
                                 "User-Agent: test-client (gzip)"}}) {
    auto r = fx.Call("GET", path, "", headers);
    CHECK(r.header("content-encoding").empty());
    CHECK(r.body == plain.body);
  }
  // Media never: its bytes are what ranges and md5s describe.
  auto media = fx.Call(
      "GET", "/drive/v3/files/" + std::string(file["id"]) + "?alt=media", "",
      {"Accept-Encoding: gzip", "User-Agent: c (gzip)"});
  CHECK(media.header("content-encoding").empty());
  CHECK(media.body == std::string(5000, 'g'));
}

TEST_CASE("int64 fields are strings and times are RFC 3339 with ms",
          "[integration]") {
  EmulatorFixture fx;
  auto f = fx.Upload("n.bin", std::string(1000, 'q'), "root",
                     "id,size,version,modifiedTime,quotaBytesUsed");
  CHECK(f["size"] == "1000");
  CHECK(f["version"].is_string());
  CHECK(f["quotaBytesUsed"] == "1000");
  std::string t = f["modifiedTime"];
  CHECK(t == "2026-01-01T00:00:00.000Z");
}

TEST_CASE("duplicate names and '/' in names are allowed", "[integration]") {
  EmulatorFixture fx;
  auto a = fx.Upload("same.txt", "one");
  auto b = fx.Upload("same.txt", "two");
  auto s = fx.Upload("a/b", "slash");
  CHECK(a["id"] != b["id"]);
  auto r = fx.Call(
      "GET", "/drive/v3/files?fields=files(id)&q=" + Q("name = 'same.txt'"));
  CHECK(r.json()["files"].size() == 2);
  auto g = fx.Call(
      "GET", "/drive/v3/files/" + s["id"].get<std::string>() + "?fields=name");
  CHECK(g.json()["name"] == "a/b");
}

TEST_CASE("one parent only: create, update, move, cycles", "[integration]") {
  EmulatorFixture fx;
  auto d1 = fx.Mkdir("d1"), d2 = fx.Mkdir("d2");
  auto sub = fx.Mkdir("sub", d1["id"]);
  auto f = fx.Upload("f", "x", d1["id"]);
  std::string fid = f["id"];
  nlohmann::json two = {{"name", "x"}, {"parents", {d1["id"], d2["id"]}}};
  auto r = fx.Call("POST", "/drive/v3/files", two.dump(),
                   {"Content-Type: application/json"});
  CHECK(r.status == 403);
  CHECK(r.reason() == "cannotAddParent");
  r = fx.Call("PATCH", "/drive/v3/files/" + fid, R"({"parents":["root"]})",
              {"Content-Type: application/json"});
  CHECK(r.status == 403);
  CHECK(r.reason() == "fieldNotWritable");
  r = fx.Call(
      "PATCH",
      "/drive/v3/files/" + fid + "?addParents=" + d2["id"].get<std::string>(),
      "{}", {"Content-Type: application/json"});
  CHECK(r.status == 403);
  CHECK(r.reason() == "cannotAddParent");
  r = fx.Call("PATCH",
              "/drive/v3/files/" + fid + "?fields=parents,name&addParents=" +
                  d2["id"].get<std::string>() +
                  "&removeParents=" + d1["id"].get<std::string>(),
              R"({"name":"moved"})", {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  CHECK(r.json()["parents"] == nlohmann::json::array({d2["id"]}));
  CHECK(r.json()["name"] == "moved");
  // d1 into its own child: a cycle.
  r = fx.Call("PATCH",
              "/drive/v3/files/" + d1["id"].get<std::string>() +
                  "?addParents=" + sub["id"].get<std::string>() +
                  "&removeParents=root",
              "{}", {"Content-Type: application/json"});
  CHECK(r.status == 400);
  // Read-only fields in a body.
  r = fx.Call("POST", "/drive/v3/files", R"({"name":"x","size":"5"})",
              {"Content-Type: application/json"});
  CHECK(r.status == 403);
  CHECK(r.reason() == "fieldNotWritable");
}

TEST_CASE("trash: implicit for descendants, parents kept, untrash restores",
          "[integration]") {
  EmulatorFixture fx;
  auto d = fx.Mkdir("t");
  auto f = fx.Upload("inside", "x", d["id"]);
  auto r = fx.Call("PATCH",
                   "/drive/v3/files/" + d["id"].get<std::string>() +
                       "?fields=trashed,explicitlyTrashed",
                   R"({"trashed":true})", {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  CHECK(r.json()["explicitlyTrashed"] == true);
  auto child = fx.Call("GET", "/drive/v3/files/" + f["id"].get<std::string>() +
                                  "?fields=trashed,explicitlyTrashed,parents")
                   .json();
  CHECK(child["trashed"] == true);
  CHECK(child["explicitlyTrashed"] == false);
  CHECK(child["parents"] == nlohmann::json::array({d["id"]}));
  auto all =
      fx.Call("GET", "/drive/v3/files?fields=files(id)&q=" +
                         Q("'" + d["id"].get<std::string>() + "' in parents"));
  CHECK(all.json()["files"].size() ==
        1);  // trashed items are listed by default
  auto live = fx.Call(
      "GET", "/drive/v3/files?fields=files(id)&q=" + ChildrenQuery(d["id"]));
  CHECK(live.json()["files"].empty());
  fx.Call("PATCH", "/drive/v3/files/" + d["id"].get<std::string>(),
          R"({"trashed":false})", {"Content-Type: application/json"});
  CHECK(fx.Call("GET", "/drive/v3/files/" + f["id"].get<std::string>() +
                           "?fields=trashed")
            .json()["trashed"] == false);
}

TEST_CASE("delete is recursive and permanent, emptyTrash", "[integration]") {
  EmulatorFixture fx;
  auto d = fx.Mkdir("del");
  auto f = fx.Upload("x", "x", d["id"]);
  auto r = fx.Call("DELETE", "/drive/v3/files/" + d["id"].get<std::string>());
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  CHECK(
      fx.Call("GET", "/drive/v3/files/" + f["id"].get<std::string>()).status ==
      404);
  auto t = fx.Upload("trashme", "x");
  fx.Call("PATCH", "/drive/v3/files/" + t["id"].get<std::string>(),
          R"({"trashed":true})", {"Content-Type: application/json"});
  CHECK(fx.Call("DELETE", "/drive/v3/files/trash").status == 204);
  CHECK(
      fx.Call("GET", "/drive/v3/files/" + t["id"].get<std::string>()).status ==
      404);
}

TEST_CASE("content update bumps version, md5, headRevisionId",
          "[integration]") {
  EmulatorFixture fx;
  auto f = fx.Upload("v.txt", "one", "root",
                     "id,version,md5Checksum,headRevisionId,sha256Checksum");
  std::string id = f["id"];
  auto r = fx.Call(
      "PATCH",
      "/upload/drive/v3/files/" + id +
          "?uploadType=media&fields=version,md5Checksum,headRevisionId,size",
      "two!", {"Content-Type: text/plain"});
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(std::stoll(j["version"].get<std::string>()) >
        std::stoll(f["version"].get<std::string>()));
  CHECK(j["md5Checksum"] == gdmount::testing::Md5Hex("two!"));
  CHECK(j["headRevisionId"] != f["headRevisionId"]);
  CHECK(j["size"] == "4");
  // A metadata-only rename bumps version but keeps modifiedTime.
  fx.AdvanceMs(5000);
  auto before =
      fx.Call("GET", "/drive/v3/files/" + id + "?fields=modifiedTime,version")
          .json();
  auto after =
      fx.Call("PATCH", "/drive/v3/files/" + id + "?fields=modifiedTime,version",
              R"({"name":"renamed"})", {"Content-Type: application/json"})
          .json();
  CHECK(after["modifiedTime"] == before["modifiedTime"]);
  CHECK(after["version"] != before["version"]);
}

TEST_CASE("files.copy shares content, folders cannot be copied",
          "[integration]") {
  EmulatorFixture fx;
  auto f = fx.Upload("orig", "payload");
  auto r = fx.Call("POST",
                   "/drive/v3/files/" + f["id"].get<std::string>() +
                       "/copy?fields=id,name,md5Checksum",
                   R"({"name":"dup"})", {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  CHECK(r.json()["md5Checksum"] == f["md5Checksum"]);
  CHECK(r.json()["id"] != f["id"]);
  auto d = fx.Mkdir("nocopy");
  CHECK(fx.Call("POST",
                "/drive/v3/files/" + d["id"].get<std::string>() + "/copy", "{}",
                {"Content-Type: application/json"})
            .status == 403);
}

TEST_CASE("generateIds makes create idempotent", "[integration]") {
  EmulatorFixture fx;
  auto ids =
      fx.Call("GET", "/drive/v3/files/generateIds?count=2").json()["ids"];
  REQUIRE(ids.size() == 2);
  nlohmann::json md = {{"id", ids[0]}, {"name", "fixed"}};
  CHECK(fx.Call("POST", "/drive/v3/files", md.dump(),
                {"Content-Type: application/json"})
            .status == 200);
  auto again = fx.Call("POST", "/drive/v3/files", md.dump(),
                       {"Content-Type: application/json"});
  CHECK(again.status == 409);
  nlohmann::json made_up = {{"id", "myOwnId"}, {"name", "x"}};
  CHECK(fx.Call("POST", "/drive/v3/files", made_up.dump(),
                {"Content-Type: application/json"})
            .status == 400);
}

TEST_CASE("A generated id survives a create that was refused",
          "[integration]") {
  gdmount::emulator::EmulatorOptions small;
  small.store.quota_limit = 1000;
  EmulatorFixture fx(small);
  auto ids =
      fx.Call("GET", "/drive/v3/files/generateIds?count=1").json()["ids"];
  REQUIRE(ids.size() == 1);
  const std::string id = ids[0];
  const std::string boundary = "b0undary";
  auto multipart = [&](const std::string& bytes) {
    return "--" + boundary + "\r\nContent-Type: application/json\r\n\r\n" +
           nlohmann::json{{"id", id}, {"name", "big"}}.dump() + "\r\n--" +
           boundary + "\r\nContent-Type: text/plain\r\n\r\n" + bytes +
           "\r\n--" + boundary + "--\r\n";
  };
  const std::vector<std::string> headers = {
      "Content-Type: multipart/related; boundary=" + boundary};
  auto refused = fx.Call("POST", "/upload/drive/v3/files?uploadType=multipart",
                         multipart(std::string(5000, 'x')), headers);
  CHECK(refused.status == 403);
  CHECK(refused.reason() == "storageQuotaExceeded");
  // Nothing was created, so the id is still the caller's to use.
  auto retried = fx.Call("POST", "/upload/drive/v3/files?uploadType=multipart",
                         multipart("small"), headers);
  CHECK(retried.status == 200);
  CHECK(retried.json()["id"] == id);
}

TEST_CASE("shortcuts point at their target", "[integration]") {
  EmulatorFixture fx;
  auto target = fx.Mkdir("target");
  nlohmann::json md = {{"name", "link"},
                       {"mimeType", "application/vnd.google-apps.shortcut"},
                       {"shortcutDetails", {{"targetId", target["id"]}}}};
  auto r = fx.Call("POST", "/drive/v3/files?fields=shortcutDetails", md.dump(),
                   {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  CHECK(r.json()["shortcutDetails"]["targetId"] == target["id"]);
  CHECK(r.json()["shortcutDetails"]["targetMimeType"] ==
        "application/vnd.google-apps.folder");
  md["shortcutDetails"]["targetId"] = "missing";
  CHECK(fx.Call("POST", "/drive/v3/files", md.dump(),
                {"Content-Type: application/json"})
            .status == 404);
}

TEST_CASE("shared drives: invisible without supportsAllDrives",
          "[integration]") {
  EmulatorFixture fx({}, [](gdmount::emulator::Emulator& e) {
    std::string drive = e.store().SeedSharedDrive("Team");
    e.store().SeedFolder(drive, "teamdir");
  });
  auto drives = fx.Call("GET", "/drive/v3/drives").json();
  REQUIRE(drives["drives"].size() == 1);
  std::string drive_id = drives["drives"][0]["id"];
  CHECK(fx.Call("GET", "/drive/v3/files/" + drive_id).status == 404);
  CHECK(
      fx.Call("GET", "/drive/v3/files/" + drive_id + "?supportsAllDrives=true")
          .status == 200);
  auto listing =
      fx.Call("GET", "/drive/v3/files?corpora=drive&driveId=" + drive_id +
                         "&includeItemsFromAllDrives=true&supportsAllDrives="
                         "true&fields=files(name,driveId)");
  REQUIRE(listing.status == 200);
  CHECK(listing.json()["files"][0]["name"] == "teamdir");
  CHECK(listing.json()["files"][0]["driveId"] == drive_id);
  CHECK(fx.Call("GET", "/drive/v3/files?corpora=drive").status == 400);
  auto mine = fx.Call("GET", "/drive/v3/files?fields=files(name)").json();
  CHECK(mine["files"].empty());
}

TEST_CASE("about requires fields and reports quota as strings",
          "[integration]") {
  gdmount::emulator::EmulatorOptions opts;
  opts.store.quota_limit = 10;
  EmulatorFixture fx(opts);
  auto none = fx.Call("GET", "/drive/v3/about");
  CHECK(none.status == 400);
  fx.Upload("q", "12345");
  auto about = fx.Call(
      "GET",
      "/drive/v3/about?fields=storageQuota,user,maxUploadSize,exportFormats");
  REQUIRE(about.status == 200);
  CHECK(about.json()["storageQuota"]["limit"] == "10");
  CHECK(about.json()["storageQuota"]["usage"] == "5");
  CHECK(about.json()["user"]["emailAddress"] == "user@example.com");
  CHECK(about.json()["exportFormats"].contains(
      "application/vnd.google-apps.document"));
  // Over quota: storageQuotaExceeded, and nothing is created.
  std::string body =
      "--b\r\nContent-Type: "
      "application/json\r\n\r\n{\"name\":\"big\"}\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\n123456\r\n--b--\r\n";
  auto r = fx.Call("POST", "/upload/drive/v3/files?uploadType=multipart", body,
                   {"Content-Type: multipart/related; boundary=b"});
  CHECK(r.status == 403);
  CHECK(r.reason() == "storageQuotaExceeded");
  CHECK(fx.Call("GET", "/drive/v3/files?q=" + Q("name = 'big'"))
            .json()["files"]
            .empty());
}

TEST_CASE("read-only items refuse changes with insufficientFilePermissions",
          "[integration]") {
  std::string locked;
  EmulatorFixture fx({}, [&](gdmount::emulator::Emulator& e) {
    gdmount::emulator::FileRecord rec;
    rec.name = "locked";
    rec.mime_type = "text/plain";
    rec.read_only = true;
    locked = e.store().SeedFile(e.store().root_id(), rec);
  });
  auto r = fx.Call("PATCH", "/drive/v3/files/" + locked, R"({"name":"x"})",
                   {"Content-Type: application/json"});
  CHECK(r.status == 403);
  CHECK(r.reason() == "insufficientFilePermissions");
  CHECK(fx.Call("DELETE", "/drive/v3/files/" + locked).status == 403);
  CHECK(fx.Call("GET",
                "/drive/v3/files/" + locked + "?fields=capabilities/canEdit")
            .json()["capabilities"]["canEdit"] == false);
}

TEST_CASE("unknown Drive methods answer 501, unknown paths 404",
          "[integration]") {
  EmulatorFixture fx;
  CHECK(fx.Call("GET", "/drive/v3/files/x/permissions").status == 501);
  CHECK(fx.Call("GET", "/nothing/here").status == 404);
  CHECK(fx.Call("PUT", "/drive/v3/files/abc").status == 405);
}

TEST_CASE("content update with a non-string mimeType is a 400, not a crash",
          "[integration]") {
  EmulatorFixture fx;
  std::string id = fx.Upload("m.txt", "one")["id"];
  std::string body =
      "--b\r\nContent-Type: application/json\r\n\r\n{\"mimeType\":5}\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\ntwo\r\n--b--\r\n";
  auto r =
      fx.Call("PATCH", "/upload/drive/v3/files/" + id + "?uploadType=multipart",
              body, {"Content-Type: multipart/related; boundary=b"});
  CHECK(r.status == 400);
  CHECK(r.reason() == "invalid");
  CHECK(fx.Call("GET", "/drive/v3/files/" + id + "?alt=media").body == "one");
}
