#include "tests/emulator/fields.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

#include "tests/emulator/discovery.h"

namespace gdmount::emulator {
namespace {

using nlohmann::json;

// The "schemas" object of the real Drive v3 discovery document, as embedded
// in the emulator at build time (null if it does not parse; the tests
// REQUIRE it to be an object).
const json& Schemas() {
  static const json schemas = [] {
    json doc =
        json::parse(gdmount::emulator::kDriveDiscoveryJson, nullptr, false);
    if (doc.is_discarded() || !doc.contains("schemas")) return json();
    return doc["schemas"];
  }();
  return schemas;
}

FieldMask MustParse(const std::string& spec) {
  INFO("fields=" << spec);
  auto mask = FieldMask::Parse(spec);
  REQUIRE(mask.ok());
  return *mask;
}

json ApplySpec(const std::string& spec, const json& full) {
  return MustParse(spec).Apply(full);
}

// Validation result code for `spec` against `schema`.
Status ValidateSpec(const std::string& spec, const std::string& schema) {
  INFO("fields=" << spec << " schema=" << schema);
  REQUIRE(Schemas().is_object());
  return MustParse(spec).Validate(Schemas(), schema);
}

const json kFile = json::parse(R"({
  "kind": "drive#file",
  "id": "f1",
  "name": "a.txt",
  "mimeType": "text/plain",
  "parents": ["root1"],
  "size": "12",
  "md5Checksum": "abc",
  "capabilities": {"canEdit": true, "canTrash": false, "canDownload": true},
  "owners": [{"displayName": "Me", "emailAddress": "me@example.com",
              "kind": "drive#user"}],
  "appProperties": {"foo": "1", "bar": "2"},
  "exportLinks": {"application/pdf": "https://x/pdf"}
})");

const json kFolder = json::parse(R"({
  "kind": "drive#file",
  "id": "d1",
  "name": "dir",
  "mimeType": "application/vnd.google-apps.folder",
  "capabilities": {"canEdit": true}
})");

json FileList() {
  return json{{"kind", "drive#fileList"},
              {"incompleteSearch", false},
              {"nextPageToken", "tok"},
              {"files", json::array({kFile, kFolder})}};
}

TEST_CASE("fields: discovery document is available", "[unit]") {
  REQUIRE(Schemas().is_object());
  CHECK(Schemas().contains("File"));
  CHECK(Schemas().contains("FileList"));
}

TEST_CASE("fields: list page selection", "[unit]") {
  json out = ApplySpec("nextPageToken,files(id,name,parents)", FileList());
  CHECK(out == json::parse(R"({
    "nextPageToken": "tok",
    "files": [{"id": "f1", "name": "a.txt", "parents": ["root1"]},
              {"id": "d1", "name": "dir"}]
  })"));
  // Forgetting nextPageToken drops it (the pagination trap of §2).
  CHECK(ApplySpec("files(id)", FileList()) ==
        json::parse(R"({"files": [{"id": "f1"}, {"id": "d1"}]})"));
}

TEST_CASE("fields: paths and sub-selections", "[unit]") {
  json expected = json::parse(R"({"capabilities": {"canEdit": true}})");
  CHECK(ApplySpec("capabilities/canEdit", kFile) == expected);
  CHECK(ApplySpec("capabilities(canEdit)", kFile) == expected);
  CHECK(ApplySpec("capabilities(canEdit,canTrash),id", kFile) ==
        json::parse(R"({"id": "f1",
                        "capabilities": {"canEdit": true, "canTrash": false}})"));
  CHECK(ApplySpec("files/capabilities/canEdit", FileList()) ==
        json::parse(R"({"files": [{"capabilities": {"canEdit": true}},
                                  {"capabilities": {"canEdit": true}}]})"));
  CHECK(ApplySpec("files(id,capabilities(canDownload),owners(emailAddress))",
                  FileList()) == json::parse(R"({"files": [
          {"id": "f1", "capabilities": {"canDownload": true},
           "owners": [{"emailAddress": "me@example.com"}]},
          {"id": "d1", "capabilities": {}}]})"));
  CHECK(ApplySpec("appProperties/foo,exportLinks", kFile) ==
        json::parse(R"({"appProperties": {"foo": "1"},
                        "exportLinks": {"application/pdf": "https://x/pdf"}})"));
}

TEST_CASE("fields: wildcards", "[unit]") {
  CHECK(ApplySpec("*", FileList()) == FileList());
  CHECK(FieldMask::All().Apply(FileList()) == FileList());
  json files_only = {{"files", FileList()["files"]}};
  CHECK(ApplySpec("files(*)", FileList()) == files_only);
  CHECK(ApplySpec("files", FileList()) == files_only);
  CHECK(ApplySpec("files/*", FileList()) == files_only);
  json with_token = files_only;
  with_token["nextPageToken"] = "tok";
  CHECK(ApplySpec("nextPageToken,files(*)", FileList()) == with_token);
  CHECK(ApplySpec("capabilities/*", kFile) ==
        json{{"capabilities", kFile["capabilities"]}});
  CHECK(ApplySpec("id,*", kFile) == kFile);
}

TEST_CASE("fields: whitespace and merging", "[unit]") {
  json expected = ApplySpec("nextPageToken,files(id,name)", FileList());
  CHECK(ApplySpec(" nextPageToken , files ( id , name ) ", FileList()) ==
        expected);
  CHECK(ApplySpec("nextPageToken,\n\tfiles(\r\nid,name)", FileList()) ==
        expected);
  CHECK(ApplySpec("files(id),nextPageToken,files(name)", FileList()) ==
        expected);
  CHECK(ApplySpec("files/id,files/name,nextPageToken", FileList()) == expected);
  // A whole-value selection wins over a sub-selection, in either order.
  json files_only = {{"files", FileList()["files"]}};
  CHECK(ApplySpec("files,files(id)", FileList()) == files_only);
  CHECK(ApplySpec("files(id),files", FileList()) == files_only);
  CHECK(ApplySpec("files(id,*)", FileList()) == files_only);
}

TEST_CASE("fields: absent fields stay absent", "[unit]") {
  CHECK(ApplySpec("id,size,md5Checksum", kFolder) == json{{"id", "d1"}});
  CHECK(ApplySpec("shortcutDetails/targetId", kFolder) == json::object());
  CHECK(ApplySpec("nextPageToken", json{{"files", json::array()}}) ==
        json::object());
  CHECK(ApplySpec("files(id)", json{{"files", json::array()}}) ==
        json{{"files", json::array()}});
  // Changes without a file (removed) keep only what they have.
  json changes = json::parse(R"({"kind": "drive#changeList",
    "newStartPageToken": "42",
    "changes": [{"kind": "drive#change", "fileId": "gone", "removed": true},
                {"kind": "drive#change", "fileId": "f1", "removed": false,
                 "file": {"id": "f1", "name": "a.txt", "size": "3"}}]})");
  CHECK(ApplySpec("newStartPageToken,nextPageToken,"
                  "changes(fileId,removed,file(name))",
                  changes) == json::parse(R"({"newStartPageToken": "42",
    "changes": [{"fileId": "gone", "removed": true},
                {"fileId": "f1", "removed": false,
                 "file": {"name": "a.txt"}}]})"));
}

TEST_CASE("fields: sub-selection of a scalar selects nothing", "[unit]") {
  // Only reachable for masks that were not validated.
  CHECK(ApplySpec("id/x,name", kFile) == json{{"name", "a.txt"}});
  CHECK(ApplySpec("parents(x)", kFile) == json{{"parents", json::array()}});
}

TEST_CASE("fields: Selects", "[unit]") {
  FieldMask mask = MustParse("nextPageToken,files(id)");
  CHECK(mask.Selects("nextPageToken"));
  CHECK(mask.Selects("files"));
  CHECK_FALSE(mask.Selects("kind"));
  CHECK_FALSE(mask.Selects("id"));
  CHECK(MustParse("files/id").Selects("files"));
  CHECK(MustParse("*").Selects("anything"));
  CHECK(MustParse("id,*").Selects("kind"));
  CHECK(FieldMask::All().Selects("newStartPageToken"));
  CHECK_FALSE(MustParse("files(*)").Selects("nextPageToken"));
}

TEST_CASE("fields: syntax errors", "[unit]") {
  const char* kBad[] = {
      "",
      " ",
      "id,",
      ",id",
      "id,,name",
      "files(",
      "files(id",
      "files()",
      "files( )",
      "files)id",
      "id)",
      "(id)",
      "a//b",
      "/a",
      "a/",
      "a/(b)",
      "*/id",
      "*(id)",
      "files(*/id)",
      "files(id)(name)",
      "files(id)/name",
      "id name",
      "id;name",
      "id&name",
      "ид",
      "**",
      "files(id)x",
  };
  for (const char* spec : kBad) {
    INFO("fields='" << spec << "'");
    auto mask = FieldMask::Parse(spec);
    CHECK(mask.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("fields: nesting depth is bounded", "[unit]") {
  auto nested = [](int depth) {
    std::string spec;
    for (int i = 0; i < depth - 1; ++i) spec += "a(";
    spec += "a";
    spec += std::string(depth - 1, ')');
    return spec;
  };
  CHECK(FieldMask::Parse(nested(FieldMask::kMaxDepth)).ok());
  CHECK(FieldMask::Parse(nested(FieldMask::kMaxDepth + 1)).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(FieldMask::Parse(nested(100000)).status().code() ==
        StatusCode::kInvalidArgument);
  std::string path = "a";
  for (int i = 1; i < FieldMask::kMaxDepth + 1; ++i) path += "/a";
  CHECK(FieldMask::Parse(path).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("fields: validation against the discovery schemas", "[unit]") {
  REQUIRE(Schemas().is_object());
  SECTION("valid masks") {
    const std::pair<const char*, const char*> kValid[] = {
        {"*", "File"},
        {"*", "FileList"},
        {"files(*)", "FileList"},
        {"nextPageToken,files(id,name,parents)", "FileList"},
        {"kind,incompleteSearch,nextPageToken,files(id,name,mimeType,"
         "parents,size,modifiedTime,createdTime,md5Checksum,trashed,version,"
         "headRevisionId,resourceKey,shortcutDetails(targetId,targetMimeType),"
         "capabilities/canEdit,capabilities(canAddChildren,canDelete),"
         "owners(emailAddress,me),appProperties,properties)",
         "FileList"},
        {"capabilities/canEdit", "File"},
        {"capabilities/*", "File"},
        {"appProperties/foo,appProperties(bar,baz),properties/x", "File"},
        {"exportLinks,exportLinks/anyKey", "File"},
        {"lastModifyingUser/displayName,contentRestrictions(readOnly)", "File"},
        {"imageMediaMetadata(location(latitude))", "File"},
        {"labelInfo/labels(id,fields)", "File"},
        {"newStartPageToken,nextPageToken,changes(fileId,removed,time,"
         "changeType,driveId,file(id,name,parents,trashed),drive(id,name))",
         "ChangeList"},
        {"user(displayName,emailAddress),storageQuota(limit,usage,"
         "usageInDrive,usageInDriveTrash),maxUploadSize,exportFormats,"
         "importFormats/foo,maxImportSizes/x,driveThemes(id)",
         "About"},
        {"startPageToken", "StartPageToken"},
        {"metadata/anything/below,response(x)", "Operation"},  // "type": "any"
    };
    for (const auto& [spec, schema] : kValid) {
      Status status = ValidateSpec(spec, schema);
      INFO(spec << " on " << schema << ": " << status.ToString());
      CHECK(status.ok());
    }
  }
  SECTION("unknown fields are named") {
    const std::tuple<const char*, const char*, const char*> kInvalid[] = {
        {"bogus", "File", "bogus"},
        {"id,nmae", "File", "nmae"},
        {"files(id,bogus)", "FileList", "files/bogus"},
        {"files/capabilities/canFly", "FileList", "files/capabilities/canFly"},
        {"id/x", "File", "id/x"},
        {"parents(x)", "File", "parents/x"},
        {"appProperties/foo/bar", "File", "appProperties/foo/bar"},
        {"files", "About", "files"},
        {"id", "FileList", "id"},
        {"changes(file(bogus))", "ChangeList", "changes/file/bogus"},
        {"files(*,bogus)", "FileList", "files/bogus"},
        {"Id", "File", "Id"},  // names are case-sensitive
    };
    for (const auto& [spec, schema, named] : kInvalid) {
      Status status = ValidateSpec(spec, schema);
      INFO(spec << " on " << schema << ": " << status.ToString());
      CHECK(status.code() == StatusCode::kInvalidArgument);
      CHECK(status.message() ==
            std::string("Invalid field selection ") + named);
    }
  }
  SECTION("unknown root schema is an internal error") {
    CHECK(ValidateSpec("id", "NoSuchSchema").code() == StatusCode::kInternal);
    CHECK(MustParse("id").Validate(json(), "File").code() ==
          StatusCode::kInternal);
  }
  SECTION("All() always validates") {
    CHECK(FieldMask::All().Validate(Schemas(), "About").ok());
  }
}

}  // namespace
}  // namespace gdmount::emulator
