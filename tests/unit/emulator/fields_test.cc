#include "tests/emulator/fields.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/emulator/blob.h"
#include "tests/emulator/discovery.h"
#include "tests/emulator/json_text.h"
#include "tests/emulator/render.h"

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

// --- files.list's streamed rendering ---------------------------------------
// files.list writes each file member by member (ApplyToMember, WriteFile)
// straight to text (JsonText) instead of building, trimming and dumping
// nlohmann trees; these pin that the bytes are the same.

std::string Dump2(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string Text(const json& value, bool pretty = true) {
  std::string text;
  JsonText(&text, pretty).Value(value);
  return text;
}

TEST_CASE("fields: ApplyToMember trims each member as Apply does", "[unit]") {
  for (const char* spec :
       {"*", "id,name", "capabilities(canEdit)", "capabilities",
        "capabilities/*", "owners(emailAddress),parents", "appProperties/foo",
        "id/x", "id,*", "nosuch"}) {
    INFO("fields=" << spec);
    FieldMask mask = MustParse(spec);
    json rebuilt = json::object();
    for (auto it = kFile.begin(); it != kFile.end(); ++it) {
      json value = it.value();
      if (mask.ApplyToMember(it.key(), &value)) rebuilt[it.key()] = value;
    }
    CHECK(rebuilt == mask.Apply(kFile));
  }
}

TEST_CASE("fields: Selects a member of a nested object", "[unit]") {
  CHECK(MustParse("capabilities(canEdit)").Selects("capabilities", "canEdit"));
  CHECK_FALSE(
      MustParse("capabilities(canEdit)").Selects("capabilities", "canTrash"));
  CHECK(MustParse("capabilities").Selects("capabilities", "canTrash"));
  CHECK(MustParse("capabilities/*").Selects("capabilities", "canTrash"));
  CHECK(MustParse("id,*").Selects("capabilities", "canTrash"));
  CHECK(FieldMask::All().Selects("capabilities", "canTrash"));
  CHECK_FALSE(MustParse("id").Selects("capabilities", "canEdit"));
}

TEST_CASE("fields: JsonText prints what nlohmann's dump(2) and dump() print",
          "[unit]") {
  const std::vector<json> kValues = {
      kFile,
      kFolder,
      FileList(),
      json::object(),
      json::array(),
      json::parse(R"({"a": {}, "b": [], "c": [[], [1, [2, {}]]], "d": null})"),
      json::parse(R"([-5, 0, 18446744073709551615, 1.5, 1e300, true, false])"),
      json{{"k\"ey", 1}, {"\xc3\xa9", 2}, {"", 3}, {"ctl\x01", 4}},
      json::array({"", "plain", "quote\"", "back\\slash", "/slash",
                   "ctl\x01\x1f\n\t\r\b\f", "del\x7f",
                   "caf\xc3\xa9 \xe6\x97\xa5", "bad \xff\xfe utf-8",
                   "cut \xc3"}),
  };
  for (const json& value : kValues) {
    INFO(Dump2(value));
    CHECK(Text(value) == Dump2(value));
    // prettyPrint=false: compact, as dump(-1).
    CHECK(Text(value, false) ==
          value.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

TEST_CASE("fields: JsonText streams objects and arrays", "[unit]") {
  std::string text;
  JsonText out(&text);
  out.BeginObject();
  out.Key("a");
  out.String("x");
  out.Key("b");
  out.BeginArray();
  out.Bool(true);
  out.String("y");
  out.BeginObject();
  out.End();
  out.End();
  out.Key("c");
  out.Value(kFolder);
  out.End();
  CHECK(text ==
        Dump2(json{
            {"a", "x"}, {"b", {true, "y", json::object()}}, {"c", kFolder}}));
}

TEST_CASE("fields: JsonText::ObjectWith puts the streamed member in key order",
          "[unit]") {
  const json kObject = {{"b", 1}, {"d", {{"x", true}}}};
  for (const char* key : {"a", "c", "e"}) {
    INFO(key);
    std::string text;
    JsonText out(&text);
    out.ObjectWith(kObject, key, [&] { out.Value(kFolder); });
    json expected = kObject;
    expected[key] = kFolder;
    CHECK(text == Dump2(expected));
  }
  std::string text;
  JsonText out(&text);
  out.ObjectWith(json::object(), "files", [&] {
    out.BeginArray();
    out.End();
  });
  CHECK(text == Dump2(json{{"files", json::array()}}));
}

// Records covering every branch of RenderFile.
std::vector<FileRecord> SampleRecords() {
  FileRecord blob;
  blob.id = "f1";
  blob.name = "caf\xc3\xa9 \"quoted\"\tname.tar.gz";
  blob.mime_type = "application/gzip";
  blob.parents = {"p1"};
  blob.content = std::make_shared<InlineBlob>("hello");
  blob.head_revision_id = "0Brev";
  blob.description = "line\nbreak";
  blob.properties = {{"a", "1"}};
  blob.app_properties = {{"k", "v"}, {"z", "\x01"}};
  blob.modified_by_me_ms = 1700000000123;
  blob.viewed_by_me_ms = 1700000000456;
  blob.created_ms = 1600000000000;
  blob.modified_ms = 1650000000000;
  blob.starred = true;
  blob.original_filename = "orig.tgz";
  FileRecord folder;
  folder.id = "d1";
  folder.name = "dir";
  folder.mime_type = kFolderMime;
  folder.parents = {"p1"};
  folder.read_only = true;
  FileRecord doc;
  doc.id = "g1";
  doc.name = "Plan";
  doc.mime_type = "application/vnd.google-apps.document";
  doc.native_text = std::make_shared<const std::string>("text");
  FileRecord shortcut;
  shortcut.id = "s1";
  shortcut.name = "link";
  shortcut.mime_type = kShortcutMime;
  shortcut.shortcut_target_id = "f1";
  shortcut.shortcut_target_mime_type = "application/gzip";
  FileRecord in_drive;
  in_drive.id = "t1";
  in_drive.name = "team.txt";
  in_drive.mime_type = "text/plain";
  in_drive.content = std::make_shared<InlineBlob>("");
  in_drive.drive_id = "0Adrive";
  in_drive.trashed = true;
  in_drive.trashed_ms = 1700000000000;
  FileRecord shared;
  shared.id = "x1";
  shared.name = "theirs";
  shared.mime_type = "text/plain";
  shared.owner_email = "colleague@example.com";
  shared.owner_name = "Colleague";
  shared.shared_with_me = true;
  shared.shared_with_me_ms = 1700000000000;
  shared.read_only = true;
  return {blob, folder, doc, shortcut, in_drive, shared};
}

TEST_CASE("fields: WriteFile writes RenderFile trimmed by the mask", "[unit]") {
  const RenderContext ctx{"me@example.com", "Me", true};
  const std::vector<std::string> kSpecs = {
      "*",
      "id,name",
      "kind,id,name,mimeType,resourceKey",
      "id,name,mimeType,parents,size,md5Checksum,version,headRevisionId,"
      "createdTime,modifiedTime,trashed,explicitlyTrashed,shortcutDetails("
      "targetId,targetMimeType),driveId,webViewLink,ownedByMe,capabilities("
      "canEdit,canDownload,canTrash,canDelete,canRename,canAddChildren),"
      "appProperties",
      "capabilities",
      "capabilities(canEdit,canShare),capabilities/canTrash",
      "owners(displayName),lastModifyingUser/emailAddress,sharingUser",
      "shortcutDetails/targetId,exportLinks,trashingUser",
      "appProperties/k,properties,description",
      "id/x",
      "id,*"};
  for (const FileRecord& rec : SampleRecords()) {
    for (const std::string& spec : kSpecs) {
      INFO(rec.id << " fields=" << spec);
      FieldMask mask = MustParse(spec);
      json expected = mask.Apply(RenderFile(rec, ctx, &mask));
      // `only` in RenderFile is an optimization: it changes nothing the
      // mask keeps.
      CHECK(expected == mask.Apply(RenderFile(rec, ctx)));
      std::string text;
      JsonText out(&text);
      WriteFile(rec, ctx, mask, &out);
      CHECK(text == Dump2(expected));
    }
  }
}

}  // namespace
}  // namespace gdmount::emulator
