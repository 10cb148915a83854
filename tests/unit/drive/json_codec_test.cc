#include "drive/json_codec.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace gdmount::drive {
namespace {

using json = nlohmann::json;

constexpr int64_t kMay1 = 1714566896789;  // 2024-05-01T12:34:56.789Z

// A file as Drive sends it for kFileFields.
json FullFile() {
  return json::parse(R"({
    "kind": "drive#file", "id": "1AbC_-x", "name": "report's \\final.pdf",
    "mimeType": "application/pdf", "parents": ["0Bparent"],
    "size": "123456", "md5Checksum": "0123456789ABCDEF0123456789abcdef",
    "version": "42", "headRevisionId": "0Brev",
    "createdTime": "2024-05-01T12:34:56.789Z",
    "modifiedTime": "2024-05-01T14:34:56.789+02:00",
    "trashed": false, "explicitlyTrashed": false,
    "driveId": "0Adrive", "webViewLink": "https://drive.google.com/x",
    "ownedByMe": true,
    "capabilities": {"canEdit": true, "canDownload": false, "canTrash": true,
                     "canDelete": false, "canRename": true,
                     "canAddChildren": false, "canShare": true},
    "appProperties": {"k": "v", "mode": "0644"},
    "futureField": {"nested": [1, 2, 3]}
  })");
}

json MinimalFile() {
  return {
      {"id", "f1"}, {"name", "a"}, {"mimeType", "text/plain"}, {"size", "3"}};
}

// Decodes `file` after setting `key` to `value`.
Result<DriveFile> WithField(const std::string& key, const json& value) {
  json f = MinimalFile();
  f[key] = value;
  return ParseFile(f.dump());
}

bool IsCorruption(const Status& s, const std::string& needle) {
  return s.code() == StatusCode::kCorruption &&
         s.message().find(needle) != std::string::npos;
}

TEST_CASE("ParseFile decodes every field", "[unit]") {
  Result<DriveFile> r = ParseFile(FullFile().dump());
  REQUIRE(r.ok());
  const DriveFile& f = *r;
  CHECK(f.id == "1AbC_-x");
  CHECK(f.name == "report's \\final.pdf");
  CHECK(f.mime_type == "application/pdf");
  CHECK(f.parents == std::vector<std::string>{"0Bparent"});
  CHECK(f.size == 123456);
  CHECK(f.md5 == "0123456789abcdef0123456789abcdef");
  CHECK(f.version == 42);
  CHECK(f.head_revision_id == "0Brev");
  CHECK(f.created_ms == kMay1);
  CHECK(f.modified_ms == kMay1);  // same instant, +02:00
  CHECK_FALSE(f.trashed);
  CHECK(f.drive_id == "0Adrive");
  CHECK(f.web_view_link == "https://drive.google.com/x");
  CHECK(f.owned_by_me);
  REQUIRE(f.capabilities.has_value());
  CHECK(f.capabilities->can_edit);
  CHECK_FALSE(f.capabilities->can_download);
  CHECK(f.capabilities->can_trash);
  CHECK_FALSE(f.capabilities->can_delete);
  CHECK(f.capabilities->can_rename);
  CHECK_FALSE(f.capabilities->can_add_children);
  CHECK(f.app_properties ==
        std::map<std::string, std::string>{{"k", "v"}, {"mode", "0644"}});
}

TEST_CASE("ParseFile: optional fields keep defaults", "[unit]") {
  json minimal = MinimalFile();
  minimal["mimeType"] = "application/vnd.google-apps.folder";
  minimal.erase("size");
  Result<DriveFile> r = ParseFile(minimal.dump());
  REQUIRE(r.ok());
  CHECK(r->parents.empty());
  CHECK_FALSE(r->size.has_value());
  CHECK(r->md5.empty());
  CHECK(r->version == 0);
  CHECK(r->created_ms == 0);
  CHECK_FALSE(r->capabilities.has_value());
  // JSON null is the same as absent.
  minimal["size"] = nullptr;
  REQUIRE(ParseFile(minimal.dump()).ok());
  CHECK_FALSE(ParseFile(minimal.dump())->size.has_value());
  // Partial capabilities keep the struct defaults.
  Result<DriveFile> c = WithField("capabilities", {{"canEdit", true}});
  REQUIRE(c.ok());
  CHECK(c->capabilities->can_edit);
  CHECK(c->capabilities->can_download);
  // Shortcut and trash fields.
  json s = MinimalFile();
  s["mimeType"] = kShortcutMime;
  s["shortcutDetails"] = {{"targetId", "t1"}, {"targetMimeType", kFolderMime}};
  s["trashed"] = true;
  s["explicitlyTrashed"] = true;
  Result<DriveFile> sr = ParseFile(s.dump());
  REQUIRE(sr.ok());
  CHECK(sr->is_shortcut());
  CHECK(sr->shortcut_target_id == "t1");
  CHECK(sr->shortcut_target_mime == kFolderMime);
  CHECK(sr->trashed);
  CHECK(sr->explicitly_trashed);
  // An empty name is accepted (Drive allows odd names; vfs sanitises).
  CHECK(WithField("name", "").ok());
}

TEST_CASE("int64 fields: strings or numbers, never negative", "[unit]") {
  CHECK(*WithField("size", "0")->size == 0);
  CHECK(*WithField("size", 77)->size == 77);
  CHECK(*WithField("size", "9223372036854775807")->size == INT64_MAX);
  CHECK(*WithField("size", INT64_MAX)->size == INT64_MAX);
  CHECK(WithField("version", "7")->version == 7);
  CHECK(WithField("version", 7)->version == 7);
  const json bad[] = {"-1",
                      -1,
                      "12a",
                      "",
                      " 12",
                      "12 ",
                      "+5",
                      "0x10",
                      1.5,
                      1e3,
                      "9223372036854775808",
                      9223372036854775808ULL,
                      "99999999999999999999999",
                      json::object(),
                      json::array(),
                      true,
                      "１２"};
  for (const json& v : bad) {
    INFO(v.dump());
    CHECK(IsCorruption(WithField("size", v).status(), "size: not an int64"));
    CHECK(IsCorruption(WithField("version", v).status(), "version"));
  }
}

TEST_CASE("md5Checksum is validated and lower-cased", "[unit]") {
  CHECK(WithField("md5Checksum", "D41D8CD98F00B204E9800998ECF8427E")->md5 ==
        "d41d8cd98f00b204e9800998ecf8427e");
  for (const json& v :
       {json("d41d8cd98f00b204e9800998ecf8427"),
        json("d41d8cd98f00b204e9800998ecf8427e0"),
        json("g41d8cd98f00b204e9800998ecf8427e"),
        json(" 41d8cd98f00b204e9800998ecf8427e"), json(12), json::array()}) {
    INFO(v.dump());
    CHECK(IsCorruption(WithField("md5Checksum", v).status(), "md5Checksum"));
  }
  CHECK(WithField("md5Checksum", "")->md5.empty());
}

TEST_CASE("Required file fields", "[unit]") {
  for (const char* key : {"id", "name", "mimeType"}) {
    INFO(key);
    json f = MinimalFile();
    f.erase(key);
    CHECK(IsCorruption(ParseFile(f.dump()).status(),
                       std::string(key) + ": missing"));
    CHECK(IsCorruption(WithField(key, nullptr).status(), key));
    CHECK(IsCorruption(WithField(key, 5).status(), "expected a string"));
  }
  CHECK(IsCorruption(WithField("id", "").status(), "id: empty"));
  CHECK(IsCorruption(WithField("mimeType", "").status(), "mimeType: empty"));
  // A file with content (it has an md5) must say how big it is; one
  // created from metadata alone has neither and is empty; folders,
  // shortcuts and Docs need no size.
  json sizeless = MinimalFile();
  sizeless.erase("size");
  sizeless["md5Checksum"] = "0123456789abcdef0123456789abcdef";
  CHECK(IsCorruption(ParseFile(sizeless.dump()).status(),
                     "size: missing for a file with content"));
  sizeless.erase("md5Checksum");
  auto empty = ParseFile(sizeless.dump());
  REQUIRE(empty.ok());
  CHECK(empty->size == 0);
  for (const char* mime : {"application/vnd.google-apps.folder",
                           "application/vnd.google-apps.shortcut",
                           "application/vnd.google-apps.document"}) {
    sizeless["mimeType"] = mime;
    CHECK(ParseFile(sizeless.dump()).ok());
  }
}

TEST_CASE("Wrong JSON types are Corruption naming the field", "[unit]") {
  struct Case {
    const char* key;
    json value;
    const char* needle;
  };
  const Case cases[] = {
      {"parents", "x", "parents: expected an array"},
      {"parents", json::array({1}), "parents"},
      {"parents", json::object(), "parents"},
      {"size", json::object(), "size"},
      {"trashed", "true", "trashed: expected a boolean"},
      {"ownedByMe", 1, "ownedByMe"},
      {"createdTime", 1714566896, "createdTime: expected a string"},
      {"modifiedTime", "yesterday", "modifiedTime: not an RFC 3339 time"},
      {"headRevisionId", json::array(), "headRevisionId"},
      {"capabilities", json::array(), "capabilities: expected an object"},
      {"capabilities", {{"canEdit", 1}}, "capabilities.canEdit"},
      {"shortcutDetails", "t1", "shortcutDetails: expected an object"},
      {"shortcutDetails", {{"targetId", 3}}, "shortcutDetails.targetId"},
      {"appProperties", json::array({"a"}), "appProperties"},
      {"appProperties", {{"k", 1}}, "appProperties.k: expected a string"},
      {"appProperties", {{"k", nullptr}}, "appProperties.k"},
  };
  for (const Case& c : cases) {
    INFO(c.key << " = " << c.value.dump());
    CHECK(IsCorruption(WithField(c.key, c.value).status(), c.needle));
  }
  // FileFromJson on something that is not an object.
  CHECK(IsCorruption(FileFromJson(json::array()).status(), "file"));
  CHECK(IsCorruption(FileFromJson(json("x")).status(), "file"));
  CHECK(FileFromJson(MinimalFile()).ok());
}

TEST_CASE("Malformed bodies are Corruption, never a throw", "[unit]") {
  const std::string deep_open(100000, '[');
  const std::string deep = deep_open + std::string(100000, ']');
  for (const std::string& body :
       {std::string(""), std::string("{"), std::string("[]"),
        std::string("null"), std::string("\"id\""), std::string("{\"id\":}"),
        std::string("{\"id\":\"a\",}"), std::string("{\"id\":\"\xff\"}"),
        deep_open, deep}) {
    INFO(body.substr(0, 20));
    CHECK(ParseFile(body).status().code() == StatusCode::kCorruption);
    CHECK(ParseFileList(body).status().code() == StatusCode::kCorruption);
    CHECK(ParseChangeList(body).status().code() == StatusCode::kCorruption);
    CHECK(ParseAbout(body).status().code() == StatusCode::kCorruption);
    CHECK(ParseStartPageToken(body).status().code() == StatusCode::kCorruption);
    CHECK(ParseGeneratedIds(body).status().code() == StatusCode::kCorruption);
  }
  // Deep nesting inside an ignored field is fine.
  // (Built as text: json::dump() recurses, the parser does not.)
  CHECK(ParseFile(R"({"id":"f1","name":"a","mimeType":"t","size":"1","x":)" +
                  deep + "}")
            .ok());
}

TEST_CASE("ParseFileList", "[unit]") {
  json list = {{"kind", "drive#fileList"},
               {"nextPageToken", "tok2"},
               {"incompleteSearch", true},
               {"files", {FullFile(), MinimalFile()}}};
  Result<FileListPage> r = ParseFileList(list.dump());
  REQUIRE(r.ok());
  CHECK(r->files.size() == 2);
  CHECK(r->files[1].id == "f1");
  CHECK(r->next_page_token == "tok2");
  CHECK(r->incomplete_search);

  Result<FileListPage> last = ParseFileList(R"({"files":[]})");
  REQUIRE(last.ok());
  CHECK(last->files.empty());
  CHECK(last->next_page_token.empty());
  CHECK(ParseFileList("{}")->files.empty());

  list["files"][1]["size"] = "-3";
  CHECK(IsCorruption(ParseFileList(list.dump()).status(), "files[1].size"));
  list["files"] = {FullFile(), 7};
  CHECK(IsCorruption(ParseFileList(list.dump()).status(),
                     "files[1]: expected an object"));
  list["files"] = FullFile();  // object where an array is expected
  CHECK(IsCorruption(ParseFileList(list.dump()).status(),
                     "files: expected an array"));
  CHECK(IsCorruption(ParseFileList(R"({"nextPageToken":5})").status(),
                     "nextPageToken"));
}

json FileChange(const std::string& id) {
  json f = MinimalFile();
  f["id"] = id;
  return {{"kind", "drive#change"},
          {"changeType", "file"},
          {"fileId", id},
          {"removed", false},
          {"time", "2024-05-01T12:34:56.789Z"},
          {"file", f}};
}

TEST_CASE("ParseChangeList", "[unit]") {
  json removed = {{"changeType", "file"},
                  {"fileId", "gone"},
                  {"removed", true},
                  {"time", "2024-05-01T12:34:56Z"}};
  json drive = {
      {"changeType", "drive"}, {"driveId", "0Ad"}, {"removed", false}};
  json page = {{"newStartPageToken", "100"},
               {"changes", {FileChange("a"), removed, drive}}};
  Result<ChangePage> r = ParseChangeList(page.dump());
  REQUIRE(r.ok());
  CHECK(r->new_start_page_token == "100");
  CHECK(r->next_page_token.empty());
  REQUIRE(r->changes.size() == 3);
  CHECK(r->changes[0].file_id == "a");
  REQUIRE(r->changes[0].file.has_value());
  CHECK(r->changes[0].file->name == "a");
  CHECK(r->changes[0].time_ms == kMay1);
  CHECK(r->changes[1].removed);
  CHECK_FALSE(r->changes[1].file.has_value());
  CHECK(r->changes[1].time_ms == kMay1 - 789);
  CHECK(r->changes[2].change_type == "drive");
  CHECK(r->changes[2].drive_id == "0Ad");

  // A removed change's stray file is ignored; fileId defaults to file.id.
  removed["file"] = MinimalFile();
  json no_id = FileChange("b");
  no_id.erase("fileId");
  no_id.erase("changeType");
  page = {{"nextPageToken", "5"}, {"changes", {removed, no_id}}};
  r = ParseChangeList(page.dump());
  REQUIRE(r.ok());
  CHECK(r->next_page_token == "5");
  CHECK_FALSE(r->changes[0].file.has_value());
  CHECK(r->changes[1].file_id == "b");
  CHECK(r->changes[1].change_type == "file");
}

TEST_CASE("ParseChangeList: tokens and broken changes", "[unit]") {
  CHECK(IsCorruption(ParseChangeList(R"({"changes":[]})").status(),
                     "changes page without a token"));
  CHECK(IsCorruption(ParseChangeList(R"({"nextPageToken":""})").status(),
                     "changes page without a token"));
  CHECK(IsCorruption(
      ParseChangeList(R"({"nextPageToken":"1","newStartPageToken":"2"})")
          .status(),
      "both"));
  CHECK(ParseChangeList(R"({"newStartPageToken":"2"})")->changes.empty());

  json missing_file = FileChange("a");
  missing_file.erase("file");
  json mismatch = FileChange("a");
  mismatch["fileId"] = "other";
  json bad_file = FileChange("a");
  bad_file["file"]["size"] = json::object();
  json bad_removed = FileChange("a");
  bad_removed["removed"] = "no";
  const std::pair<json, const char*> cases[] = {
      {missing_file, "changes[0]: file change without a file"},
      {mismatch, "changes[0]: fileId differs"},
      {bad_file, "changes[0].file.size"},
      {bad_removed, "changes[0].removed"},
      {json::array(), "changes[0]: expected an object"},
  };
  for (const auto& [change, needle] : cases) {
    INFO(needle);
    json page = {{"newStartPageToken", "9"}, {"changes", {change}}};
    CHECK(IsCorruption(ParseChangeList(page.dump()).status(), needle));
  }
  CHECK(IsCorruption(
      ParseChangeList(R"({"newStartPageToken":"9","changes":{}})").status(),
      "changes: expected an array"));
}

TEST_CASE("ParseAbout", "[unit]") {
  const char* body = R"({
    "user": {"displayName": "Ann", "emailAddress": "ann@example.com",
             "me": true},
    "storageQuota": {"limit": "16106127360", "usage": "1000",
                     "usageInDrive": "900", "usageInDriveTrash": "50"},
    "maxUploadSize": "5242880000000",
    "exportFormats": {"application/vnd.google-apps.document":
                        ["application/pdf", "text/plain"]}})";
  Result<About> r = ParseAbout(body);
  REQUIRE(r.ok());
  CHECK(r->user_display_name == "Ann");
  CHECK(r->user_email == "ann@example.com");
  CHECK(r->quota_limit == 16106127360);
  CHECK(r->quota_usage == 1000);
  CHECK(r->quota_usage_in_drive == 900);
  CHECK(r->quota_usage_in_trash == 50);
  CHECK(r->max_upload_size == 5242880000000);
  CHECK(r->export_formats.at("application/vnd.google-apps.document") ==
        std::vector<std::string>{"application/pdf", "text/plain"});

  Result<About> unlimited = ParseAbout(R"({"storageQuota":{"usage":"5"}})");
  REQUIRE(unlimited.ok());
  CHECK_FALSE(unlimited->quota_limit.has_value());
  CHECK(unlimited->quota_usage == 5);
  CHECK(ParseAbout("{}").ok());

  CHECK(IsCorruption(ParseAbout(R"({"storageQuota":{"limit":"x"}})").status(),
                     "storageQuota.limit"));
  CHECK(IsCorruption(ParseAbout(R"({"storageQuota":[]})").status(),
                     "storageQuota"));
  CHECK(IsCorruption(ParseAbout(R"({"user":"ann"})").status(), "user"));
  CHECK(IsCorruption(ParseAbout(R"({"exportFormats":{"a":"b"}})").status(),
                     "exportFormats.a"));
  CHECK(IsCorruption(ParseAbout(R"({"exportFormats":{"a":[1]}})").status(),
                     "exportFormats.a"));
  CHECK(IsCorruption(ParseAbout(R"({"maxUploadSize":-1})").status(),
                     "maxUploadSize"));
}

TEST_CASE("ParseDriveList", "[unit]") {
  auto page = ParseDriveList(
      R"({"kind":"drive#driveList","nextPageToken":"n2","drives":[)"
      R"({"id":"0AbC","name":"Team","hidden":true},{"id":"0XyZ","name":""}]})");
  REQUIRE(page.ok());
  REQUIRE(page->drives.size() == 2);
  CHECK(page->drives[0].id == "0AbC");
  CHECK(page->drives[0].name == "Team");
  CHECK(page->drives[0].hidden);
  CHECK_FALSE(page->drives[1].hidden);
  CHECK(page->next_page_token == "n2");
  CHECK(ParseDriveList("{}").ok());
  CHECK(IsCorruption(ParseDriveList(R"({"drives":[{"name":"x"}]})").status(),
                     "drives[0].id"));
  CHECK(IsCorruption(ParseDriveList(R"({"drives":{}})").status(), "drives"));
  CHECK(ParseDriveList("[").status().code() == StatusCode::kCorruption);
}

TEST_CASE("ParseStartPageToken and ParseGeneratedIds", "[unit]") {
  CHECK(*ParseStartPageToken(
            R"({"kind":"drive#startPageToken","startPageToken":"123"})") ==
        "123");
  for (const char* bad :
       {"{}", R"({"startPageToken":""})", R"({"startPageToken":123})"}) {
    INFO(bad);
    CHECK(IsCorruption(ParseStartPageToken(bad).status(), "startPageToken"));
  }
  CHECK(*ParseGeneratedIds(R"({"kind":"drive#generatedIds","space":"drive",
                               "ids":["a","b"]})") ==
        std::vector<std::string>{"a", "b"});
  for (const char* bad : {"{}", R"({"ids":"a"})", R"({"ids":[1]})",
                          R"({"ids":["a",""]})", R"({"ids":null})"}) {
    INFO(bad);
    CHECK(IsCorruption(ParseGeneratedIds(bad).status(), "ids"));
  }
  CHECK(ParseGeneratedIds(R"({"ids":[]})")->empty());
}

TEST_CASE("MetadataToJson", "[unit]") {
  CHECK(MetadataToJson(FileMetadata{}) == "{}");
  FileMetadata m;
  m.id = "gen1";
  m.name = "it's \"x\"\\ é";
  m.mime_type = kFolderMime;
  m.parent_id = "p1";
  m.modified_ms = kMay1;
  m.trashed = false;
  m.description = "d";
  m.shortcut_target_id = "t1";
  m.app_properties["keep"] = "v";
  m.app_properties["drop"] = std::nullopt;
  const json j = json::parse(MetadataToJson(m));
  CHECK(j.at("id") == "gen1");
  CHECK(j.at("name") == "it's \"x\"\\ é");
  CHECK(j.at("mimeType") == kFolderMime);
  CHECK(j.at("parents") == json::array({"p1"}));
  CHECK(j.at("modifiedTime") == "2024-05-01T12:34:56.789Z");
  CHECK(j.at("trashed") == false);
  CHECK(j.at("description") == "d");
  CHECK(j.at("shortcutDetails") == json({{"targetId", "t1"}}));
  CHECK(j.at("appProperties") == json({{"keep", "v"}, {"drop", nullptr}}));
  CHECK(j.size() == 9);

  // Round trip through the decoder (what Drive echoes back).
  json echoed = j;
  echoed.erase("appProperties");  // Drive echoes only the kept keys
  Result<DriveFile> f = FileFromJson(echoed);
  REQUIRE(f.ok());
  CHECK(f->name == *m.name);
  CHECK(f->modified_ms == kMay1);

  // Invalid UTF-8 does not throw (REQUIRES says callers validate).
  FileMetadata bad;
  bad.name = "a\xff";
  CHECK(json::parse(MetadataToJson(bad)).at("name") == "a\xEF\xBF\xBD");
}

TEST_CASE("ParseRfc3339 accepts RFC 3339 date-times", "[unit]") {
  const std::pair<const char*, int64_t> ok[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:00.000Z", 0},
      {"2024-05-01T12:34:56.789Z", kMay1},
      {"2024-05-01t12:34:56.789z", kMay1},
      {"2024-05-01T14:34:56.789+02:00", kMay1},
      {"2024-05-01T07:04:56.789-05:30", kMay1},
      {"2024-05-01T12:34:56.7Z", kMay1 - 89},
      {"2024-05-01T12:34:56.78Z", kMay1 - 9},
      {"2024-05-01T12:34:56.789999999Z", kMay1},
      {"2024-05-01T12:34:56Z", kMay1 - 789},
      {"2024-02-29T00:00:00Z", 1709164800000},
      {"2000-02-29T23:59:59Z", 951868799000},
      {"1969-12-31T23:59:59.999Z", -1},
      {"0001-01-01T00:00:00Z", -62135596800000},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
      {"2016-12-31T23:59:60Z", 1483228800000},  // leap second
  };
  for (const auto& [text, ms] : ok) {
    INFO(text);
    Result<int64_t> r = ParseRfc3339(text);
    REQUIRE(r.ok());
    CHECK(*r == ms);
  }
}

TEST_CASE("ParseRfc3339 rejects everything else", "[unit]") {
  for (const char* bad : {"",
                          "2024",
                          "2024-05-01",
                          "2024-05-01T12:34Z",
                          "2024-05-01T12:34:56",
                          "2024-05-01 12:34:56Z",
                          "2023-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z",
                          "2024-04-31T00:00:00Z",
                          "2024-13-01T00:00:00Z",
                          "2024-00-01T00:00:00Z",
                          "2024-05-00T00:00:00Z",
                          "2024-05-01T24:00:00Z",
                          "2024-05-01T12:60:00Z",
                          "2024-05-01T12:34:61Z",
                          "2024-05-01T12:34:56.Z",
                          "2024-05-01T12:34:56.789",
                          "2024-05-01T12:34:56+0200",
                          "2024-05-01T12:34:56+24:00",
                          "2024-05-01T12:34:56+02:60",
                          "2024-05-01T12:34:56Zjunk",
                          " 2024-05-01T12:34:56Z",
                          "2024-5-01T12:34:56Z",
                          "+2024-05-01T12:34:56Z",
                          "garbage",
                          "2024-05-01T12:34:56.78 9Z",
                          "２０２４-05-01T12:34:56Z"}) {
    INFO(bad);
    CHECK(ParseRfc3339(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("FormatRfc3339", "[unit]") {
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatRfc3339(kMay1) == "2024-05-01T12:34:56.789Z");
  CHECK(FormatRfc3339(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatRfc3339(1709164800000) == "2024-02-29T00:00:00.000Z");
  CHECK(FormatRfc3339(INT64_MAX) == "9999-12-31T23:59:59.999Z");
  CHECK(FormatRfc3339(INT64_MIN) == "0000-01-01T00:00:00.000Z");
  // Round trip over a spread of instants, including pre-1970 and leap days.
  for (int64_t ms = -62135596800000; ms < 253402300799999;
       ms += 86'400'000LL * 97 + 3'600'007) {
    INFO(ms);
    CHECK(*ParseRfc3339(FormatRfc3339(ms)) == ms);
  }
}

TEST_CASE("fields= strings", "[unit]") {
  const std::string file = kFileFields;
  CHECK(file.find("md5Checksum") != std::string::npos);
  CHECK(ListFields() == "nextPageToken,incompleteSearch,files(" + file + ")");
  CHECK(ChangeFields() ==
        "nextPageToken,newStartPageToken,changes(changeType,fileId,removed,"
        "time,driveId,file(" +
            file + "))");
  CHECK(AboutFields() ==
        "user(displayName,emailAddress),storageQuota,maxUploadSize,"
        "exportFormats");
}

}  // namespace
}  // namespace gdmount::drive
