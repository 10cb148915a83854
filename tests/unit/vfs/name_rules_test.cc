#include "vfs/name_rules.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "util/encoding.h"

namespace gdmount::vfs {
namespace {

constexpr const char* kDoc = "application/vnd.google-apps.document";
constexpr const char* kSheet = "application/vnd.google-apps.spreadsheet";
constexpr const char* kSlides = "application/vnd.google-apps.presentation";
constexpr const char* kDrawing = "application/vnd.google-apps.drawing";
constexpr const char* kForm = "application/vnd.google-apps.form";
constexpr const char* kFolder = "application/vnd.google-apps.folder";
constexpr const char* kShortcut = "application/vnd.google-apps.shortcut";
constexpr const char* kText = "text/plain";

// UTF-8 of the replacement code points.
const std::string kDivisionSlash = "\xE2\x88\x95";  // U+2215
const std::string kReplacement = "\xEF\xBF\xBD";    // U+FFFD
const std::string kOneDotLeader = "\xE2\x80\xA4";   // U+2024

NameInput File(std::string id, std::string name, int64_t created = 0,
               std::string mime = kText) {
  return NameInput{std::move(id), std::move(name), std::move(mime), created};
}

std::vector<std::string> Names(const std::vector<NameInput>& children,
                               const ExportMap& exports = DefaultExportMap()) {
  return DisplayNames(children, exports);
}

std::string Name(const NameInput& child) { return Names({child})[0]; }

std::map<std::string, std::string> NamesById(
    const std::vector<NameInput>& children) {
  const std::vector<std::string> names = Names(children);
  std::map<std::string, std::string> by_id;
  for (size_t i = 0; i < children.size(); ++i) {
    by_id[children[i].id] = names[i];
  }
  return by_id;
}

// Strict RFC 3629 check, written independently of the code under test.
bool IsValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1, cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// The invariants promised in name_rules.h, for any folder.
void CheckInvariants(const std::vector<NameInput>& children,
                     const std::vector<std::string>& names) {
  REQUIRE(names.size() == children.size());
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (name.empty()) continue;  // hidden
    INFO(name);
    CHECK(name.size() <= kMaxNameBytes);
    CHECK(IsValidUtf8(name));
    CHECK(name != ".");
    CHECK(name != "..");
    CHECK(name.find('/') == std::string::npos);
    CHECK(name.find('\0') == std::string::npos);
    CHECK(seen.insert(name).second);
  }
}

std::string Hash8(const std::string& id) {
  return util::HexEncode(util::Sha256(id)).substr(0, 8);
}

TEST_CASE("Ordinary names pass through unchanged", "[unit][vfs]") {
  for (const char* name :
       {"report.txt", "Fotos 2024", "naïve café.md", "日本語のファイル",
        ".bashrc", "...", "trailing space ", "a\\b",
        "emoji \xF0\x9F\x98\x80"}) {
    CHECK(Name(File("id1", name)) == name);
    CHECK(Name(File("id1", name, 0, kFolder)) == name);
  }
}

TEST_CASE("A slash becomes U+2215 DIVISION SLASH", "[unit][vfs]") {
  CHECK(Name(File("id1", "a/b")) == "a" + kDivisionSlash + "b");
  CHECK(Name(File("id1", "/")) == kDivisionSlash);
  CHECK(Name(File("id1", "2024/01/02 notes", 0, kFolder)) ==
        "2024" + kDivisionSlash + "01" + kDivisionSlash + "02 notes");
}

TEST_CASE("Control characters and invalid UTF-8 become U+FFFD", "[unit][vfs]") {
  CHECK(Name(File("id1", std::string("a\0b", 3))) == "a" + kReplacement + "b");
  CHECK(Name(File("id1", "line\nbreak\ttab")) ==
        "line" + kReplacement + "break" + kReplacement + "tab");
  CHECK(Name(File("id1", "del\x7F")) == "del" + kReplacement);
  CHECK(Name(File("id1", "c1\xC2\x85")) == "c1" + kReplacement);  // U+0085
  CHECK(Name(File("id1", "bad\xFF")) == "bad" + kReplacement);
  CHECK(Name(File("id1", "cut\xE2\x88")) ==
        "cut" + kReplacement + kReplacement);
  CHECK(Name(File("id1", "overlong\xC0\xAF")) ==
        "overlong" + kReplacement + kReplacement);
  CHECK(Name(File("id1", "surrogate\xED\xA0\x80")) ==
        "surrogate" + kReplacement + kReplacement + kReplacement);
}

TEST_CASE("'.' and '..' become U+2024 ONE DOT LEADER", "[unit][vfs]") {
  CHECK(Name(File("id1", ".")) == kOneDotLeader);
  CHECK(Name(File("id1", "..", 0, kFolder)) == kOneDotLeader + kOneDotLeader);
  CHECK(Name(File("id1", "...")) == "...");
  CHECK(Name(File("id1", ".a")) == ".a");
  CHECK(Name(File("id1", "..", 0, kDoc)) ==
        kOneDotLeader + kOneDotLeader + ".docx");
}

TEST_CASE("An empty name becomes Untitled", "[unit][vfs]") {
  CHECK(Name(File("id1", "")) == "Untitled");
  CHECK(Name(File("id1", "", 0, kDoc)) == "Untitled.docx");
  // Two empty names are duplicates like any other.
  const auto names = Names({File("old", ""), File("newer-id", "", 5)});
  CHECK(names[0] == "Untitled");
  CHECK(names[1] == "Untitled (newer-id)");
}

TEST_CASE("Native documents get their export extension", "[unit][vfs]") {
  CHECK(Name(File("id1", "Report", 0, kDoc)) == "Report.docx");
  CHECK(Name(File("id1", "Budget", 0, kSheet)) == "Budget.xlsx");
  CHECK(Name(File("id1", "Talk", 0, kSlides)) == "Talk.pptx");
  CHECK(Name(File("id1", "Diagram", 0, kDrawing)) == "Diagram.png");
  SECTION("a name that already ends with the extension keeps it") {
    CHECK(Name(File("id1", "report.docx", 0, kDoc)) == "report.docx");
    CHECK(Name(File("id1", "Report.DOCX", 0, kDoc)) == "Report.DOCX");
    CHECK(Name(File("id1", "data.xlsx", 0, kSheet)) == "data.xlsx");
  }
  SECTION("another extension is kept and the export one appended") {
    CHECK(Name(File("id1", "notes.pdf", 0, kDoc)) == "notes.pdf.docx");
    CHECK(Name(File("id1", "report.docx", 0, kSheet)) == "report.docx.xlsx");
  }
  SECTION("the extension alone is not a name") {
    CHECK(Name(File("id1", ".docx", 0, kDoc)) == ".docx.docx");
  }
  SECTION("regular files, folders and shortcuts get no extension") {
    CHECK(Name(File("id1", "Report", 0, "application/pdf")) == "Report");
    CHECK(Name(File("id1", "Report", 0, kFolder)) == "Report");
    CHECK(Name(File("id1", "Report", 0, kShortcut)) == "Report");
  }
  SECTION("the export map decides the extension") {
    const Result<ExportMap> map = ParseExportMap("document=pdf");
    REQUIRE(map.ok());
    CHECK(Names({File("id1", "Report", 0, kDoc)}, *map)[0] == "Report.pdf");
    CHECK(Names({File("id1", "Report.docx", 0, kDoc)}, *map)[0] ==
          "Report.docx.pdf");
  }
}

TEST_CASE("Native types without an export format are hidden", "[unit][vfs]") {
  for (const char* mime :
       {kForm, "application/vnd.google-apps.site",
        "application/vnd.google-apps.map", "application/vnd.google-apps.script",
        "application/vnd.google-apps.vid", "application/vnd.google-apps.jam",
        "application/vnd.google-apps.unknown-future-type"}) {
    INFO(mime);
    CHECK(Name(File("id1", "Thing", 0, mime)).empty());
  }
  SECTION("a hidden item takes no name from a visible sibling") {
    const auto names = Names(
        {File("aaa-form", "x", 0, kForm), File("zzz-file", "x", 9, kText)});
    CHECK(names[0].empty());
    CHECK(names[1] == "x");
  }
  SECTION("an export map entry makes a type visible") {
    const Result<ExportMap> map = ParseExportMap("script=json");
    REQUIRE(map.ok());
    CHECK(Names({File("id1", "Macro", 0, "application/vnd.google-apps.script")},
                *map)[0] == "Macro.json");
  }
  SECTION("an empty export map hides every native type") {
    CHECK(Names({File("id1", "Report", 0, kDoc)}, ExportMap{})[0].empty());
    CHECK(Names({File("id1", "Dir", 0, kFolder)}, ExportMap{})[0] == "Dir");
  }
}

TEST_CASE("The oldest duplicate keeps the name, others get an id tag",
          "[unit][vfs]") {
  const auto names = Names({
      File("1BBBBBBBBBxyz", "a.txt", 200),
      File("1AAAAAAAAAxyz", "a.txt", 100),  // oldest
      File("1CCCCCCCCCxyz", "a.txt", 300),
      File("1DDDDDDDDDxyz", "b", 50),
      File("1EEEEEEEEExyz", "b", 60, kFolder),
  });
  CHECK(names == std::vector<std::string>{"a (1BBBBBBB).txt", "a.txt",
                                          "a (1CCCCCCC).txt", "b",
                                          "b (1EEEEEEE)"});
  SECTION("equal creation times fall back to the id") {
    const auto tie =
        Names({File("idB-xxxxxx", "n", 7), File("idA-xxxxxx", "n", 7)});
    CHECK(tie == std::vector<std::string>{"n (idB-xxxx)", "n"});
  }
  SECTION("ids shorter than the tag are used whole") {
    const auto tie = Names({File("a", "n", 1), File("b", "n", 2)});
    CHECK(tie == std::vector<std::string>{"n", "n (b)"});
  }
  SECTION("comparison is byte-exact: case and normalisation differ") {
    const auto distinct =
        Names({File("id1", "Read.me"), File("id2", "read.me"),
               File("id3", "caf\xC3\xA9"), File("id4", "cafe\xCC\x81")});
    CHECK(distinct == std::vector<std::string>{"Read.me", "read.me",
                                               "caf\xC3\xA9", "cafe\xCC\x81"});
  }
}

TEST_CASE("Names that become equal by the rules are duplicates",
          "[unit][vfs]") {
  SECTION("a slash and its look-alike") {
    const auto names =
        Names({File("1slash-id", "a/b", 2),
               File("1lookalike", "a" + kDivisionSlash + "b", 1)});
    CHECK(names[1] == "a" + kDivisionSlash + "b");
    CHECK(names[0] == "a" + kDivisionSlash + "b (1slash-i)");
  }
  SECTION("a Doc and a docx file") {
    const auto names = Names({File("1docid-xx", "report", 5, kDoc),
                              File("1fileid-x", "report.docx", 9)});
    CHECK(names ==
          std::vector<std::string>{"report.docx", "report (1fileid-).docx"});
  }
}

TEST_CASE("The tag goes before a plain extension only", "[unit][vfs]") {
  const auto names = Names({
      File("old1", "v1.2 final", 1),
      File("new1-abcdef", "v1.2 final", 2),
      File("old2", "archive.tar.gz", 1),
      File("new2-abcdef", "archive.tar.gz", 2),
      File("old3", ".bashrc", 1),
      File("new3-abcdef", ".bashrc", 2),
      File("old4", "x.verylongextension1", 1),
      File("new4-abcdef", "x.verylongextension1", 2),
  });
  CHECK(names[1] == "v1.2 final (new1-abc)");
  CHECK(names[3] == "archive.tar (new2-abc).gz");
  CHECK(names[5] == ".bashrc (new3-abc)");
  CHECK(names[7] == "x.verylongextension1 (new4-abc)");
}

TEST_CASE("A tag that collides with a real name uses more id characters",
          "[unit][vfs]") {
  SECTION("with a sibling's real name, however new that sibling is") {
    const auto names = Names({
        File("0000oldest", "a.txt", 1),
        File("abcdefghijk", "a.txt", 2),
        File("zzzz-real", "a (abcdefgh).txt", 99),
    });
    CHECK(names == std::vector<std::string>{"a.txt", "a (abcdefghi).txt",
                                            "a (abcdefgh).txt"});
  }
  SECTION("with another twin sharing an 8-character id prefix") {
    const auto names = Names({
        File("0000oldest", "a.txt", 1),
        File("abcdefgh-2", "a.txt", 3),
        File("abcdefgh-1", "a.txt", 2),
    });
    CHECK(names == std::vector<std::string>{"a.txt", "a (abcdefgh-).txt",
                                            "a (abcdefgh).txt"});
  }
  SECTION("ids exhausted: a counter keeps names distinct") {
    const auto names = Names({
        File("x", "a", 1),
        File("y", "a", 2),
        File("q", "a (y)", 3),
    });
    CHECK(names == std::vector<std::string>{"a", "a (y-2)", "a (y)"});
  }
}

// A folder with many duplicates, long names, hidden and native items.
std::vector<NameInput> RandomFolder(std::mt19937& rng, size_t n) {
  static const char kIdChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::vector<std::string> pool = {
      "a.txt",
      "a",
      "A.txt",
      "report",
      "report.docx",
      "x/y",
      "",
      ".",
      "..",
      "a (",
      std::string(300, 'L') + ".csv",
      std::string(120, 'e') + "\xC3\xA9",
  };
  const std::vector<std::string> mimes = {kText, kText,  kText, kFolder,
                                          kDoc,  kSheet, kForm, kShortcut};
  std::vector<NameInput> out;
  for (size_t i = 0; i < n; ++i) {
    NameInput c;
    // Some ids share a long prefix to exercise longer tags.
    c.id = (i % 7 == 0) ? "1SharedPrefix" : "1";
    while (c.id.size() < 33) c.id += kIdChars[rng() % 64];
    c.name = pool[rng() % pool.size()];
    if (rng() % 4 == 0) c.name += " (" + c.id.substr(0, 8) + ")";
    c.mime_type = mimes[rng() % mimes.size()];
    c.created_ms = static_cast<int64_t>(rng() % 20);  // many ties
    out.push_back(std::move(c));
  }
  return out;
}

TEST_CASE("Names do not depend on the order of the children", "[unit][vfs]") {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 5; ++round) {
    std::vector<NameInput> folder = RandomFolder(rng, 400);
    const auto expected = NamesById(folder);
    CheckInvariants(folder, Names(folder));
    for (int shuffle = 0; shuffle < 5; ++shuffle) {
      std::shuffle(folder.begin(), folder.end(), rng);
      CHECK(NamesById(folder) == expected);
    }
    std::reverse(folder.begin(), folder.end());
    CHECK(NamesById(folder) == expected);
  }
}

TEST_CASE("A duplicate's name survives unrelated siblings coming and going",
          "[unit][vfs]") {
  const std::vector<NameInput> twins = {
      File("1oldestTwinId", "photo.jpg", 10),
      File("1middleTwinId", "photo.jpg", 20),
      File("1newestTwinId", "photo.jpg", 30),
  };
  const auto before = NamesById(twins);
  REQUIRE(before.at("1oldestTwinId") == "photo.jpg");
  REQUIRE(before.at("1middleTwinId") == "photo (1middleT).jpg");
  REQUIRE(before.at("1newestTwinId") == "photo (1newestT).jpg");

  std::vector<NameInput> folder = twins;
  for (int i = 0; i < 50; ++i) {
    folder.push_back(File("1other" + std::to_string(i),
                          "other" + std::to_string(i % 10) + ".jpg", i));
  }
  folder.push_back(File("1docTwin", "photo.jpg", 40, kDoc));   // photo.jpg.docx
  folder.push_back(File("1formTwin", "photo.jpg", 1, kForm));  // hidden
  auto with_siblings = NamesById(folder);
  for (const auto& [id, name] : before) CHECK(with_siblings.at(id) == name);

  SECTION("removing a newer twin leaves the other twins alone") {
    folder.erase(folder.begin() + 2);  // 1newestTwinId
    const auto after = NamesById(folder);
    CHECK(after.at("1oldestTwinId") == "photo.jpg");
    CHECK(after.at("1middleTwinId") == "photo (1middleT).jpg");
  }
  SECTION("adding a newer twin leaves the existing twins alone") {
    folder.push_back(File("1lateTwin", "photo.jpg", 1000));
    const auto after = NamesById(folder);
    for (const auto& [id, name] : before) CHECK(after.at(id) == name);
    CHECK(after.at("1lateTwin") == "photo (1lateTwi).jpg");
  }
  SECTION("removing the oldest twin hands its name to the next oldest") {
    folder.erase(folder.begin());
    const auto after = NamesById(folder);
    CHECK(after.at("1middleTwinId") == "photo.jpg");
    CHECK(after.at("1newestTwinId") == "photo (1newestT).jpg");
  }
}

TEST_CASE("Names longer than 255 bytes are shortened", "[unit][vfs]") {
  const std::string id = "1LongNameFileId";
  SECTION("255 bytes is allowed, 256 is not") {
    const std::string fits = std::string(251, 'a') + ".txt";
    CHECK(Name(File(id, fits)) == fits);
    const std::string name = Name(File(id, std::string(252, 'a') + ".txt"));
    CHECK(name == std::string(242, 'a') + "~" + Hash8(id) + ".txt");
    CHECK(name.size() == kMaxNameBytes);
  }
  SECTION("a native document keeps its export extension") {
    const std::string name = Name(File(id, std::string(400, 'd'), 0, kDoc));
    CHECK(name == std::string(241, 'd') + "~" + Hash8(id) + ".docx");
  }
  SECTION("a name without an extension") {
    const std::string name = Name(File(id, std::string(300, 'n'), 0, kFolder));
    CHECK(name == std::string(246, 'n') + "~" + Hash8(id));
  }
  SECTION("long names sharing a prefix stay distinct without a tag") {
    const std::string prefix(260, 'p');
    const auto names = Names(
        {File("idA", prefix + "1.txt", 1), File("idB", prefix + "2.txt", 2)});
    CHECK(names[0] == std::string(242, 'p') + "~" + Hash8("idA") + ".txt");
    CHECK(names[1] == std::string(242, 'p') + "~" + Hash8("idB") + ".txt");
  }
  SECTION("a tag on a name near the limit still fits") {
    const std::string near = std::string(250, 'z') + ".md";
    const auto names =
        Names({File("1oldNearId", near, 1), File("1newNearId", near, 2)});
    CHECK(names[0] == near);
    CHECK(names[1] ==
          std::string(232, 'z') + "~" + Hash8("1newNearId") + " (1newNear).md");
    CHECK(names[1].size() == kMaxNameBytes);
  }
}

TEST_CASE("Shortening never splits a UTF-8 code point", "[unit][vfs]") {
  const std::vector<std::string> chars = {"\xC3\xA9", "\xE6\x97\xA5",
                                          "\xF0\x9F\x98\x80"};
  for (const std::string& ch : chars) {
    for (size_t lead = 0; lead < 4; ++lead) {  // shifts the boundaries
      for (const char* ext : {"", ".txt", ".jpeg"}) {
        std::string stem(lead, 'x');
        while (stem.size() < 400) stem += ch;
        const NameInput child = File("1Utf8Id", stem + ext);
        const std::string name = Name(child);
        INFO("char bytes " << ch.size() << ", lead " << lead << ", ext "
                           << ext);
        CHECK(name.size() <= kMaxNameBytes);
        CHECK(name.size() > kMaxNameBytes - ch.size());  // no bytes wasted
        CHECK(IsValidUtf8(name));
        const std::string tail = "~" + Hash8("1Utf8Id") + ext;
        REQUIRE(name.size() > tail.size());
        CHECK(name.substr(name.size() - tail.size()) == tail);
        const std::string kept = name.substr(0, name.size() - tail.size());
        CHECK(stem.compare(0, kept.size(), kept) == 0);
      }
    }
  }
}

TEST_CASE("DefaultExportMap exports the four editor types", "[unit][vfs]") {
  const ExportMap& map = DefaultExportMap();
  CHECK(map.size() == 4);
  CHECK(map.at(kDoc) ==
        ExportFormat{"application/"
                     "vnd.openxmlformats-officedocument.wordprocessingml."
                     "document",
                     "docx"});
  CHECK(map.at(kSheet) ==
        ExportFormat{
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx"});
  CHECK(map.at(kSlides) ==
        ExportFormat{"application/"
                     "vnd.openxmlformats-officedocument.presentationml."
                     "presentation",
                     "pptx"});
  CHECK(map.at(kDrawing) == ExportFormat{"image/png", "png"});
}

TEST_CASE("ParseExportMap overrides the defaults", "[unit][vfs]") {
  SECTION("empty spec") {
    const Result<ExportMap> map = ParseExportMap("  ");
    REQUIRE(map.ok());
    CHECK(*map == DefaultExportMap());
  }
  SECTION("short names") {
    const Result<ExportMap> map =
        ParseExportMap("document=pdf,spreadsheet=csv");
    REQUIRE(map.ok());
    CHECK(map->at(kDoc) == ExportFormat{"application/pdf", "pdf"});
    CHECK(map->at(kSheet) == ExportFormat{"text/csv", "csv"});
    CHECK(map->at(kSlides) == DefaultExportMap().at(kSlides));
    CHECK(map->at(kDrawing) == DefaultExportMap().at(kDrawing));
  }
  SECTION("full MIME types, case and whitespace") {
    const Result<ExportMap> map = ParseExportMap(
        " application/vnd.google-apps.presentation = application/PDF ,"
        "DRAWING=SVG, spreadsheet=text/tab-separated-values,"
        "document=text/markdown");
    REQUIRE(map.ok());
    CHECK(map->at(kSlides) == ExportFormat{"application/pdf", "pdf"});
    CHECK(map->at(kDrawing) == ExportFormat{"image/svg+xml", "svg"});
    CHECK(map->at(kSheet) == ExportFormat{"text/tab-separated-values", "tsv"});
    CHECK(map->at(kDoc) == ExportFormat{"text/markdown", "md"});
  }
  SECTION("scripts become visible") {
    const Result<ExportMap> map = ParseExportMap("script=json");
    REQUIRE(map.ok());
    CHECK(map->at("application/vnd.google-apps.script") ==
          ExportFormat{"application/vnd.google-apps.script+json", "json"});
    CHECK(map->size() == 5);
  }
}

TEST_CASE("ParseExportMap rejects bad specs clearly", "[unit][vfs]") {
  struct Case {
    const char* spec;
    const char* message_part;
  };
  for (const Case& c : {
           Case{"document", "expected TYPE=FORMAT"},
           Case{"document:pdf", "expected TYPE=FORMAT"},
           Case{"form=pdf", "unknown or non-exportable Google type"},
           Case{"application/vnd.google-apps.vid=mp4",
                "unknown or non-exportable Google type"},
           Case{"=pdf", "unknown or non-exportable Google type"},
           Case{"document=xlsx",
                "expected one of: docx, odt, rtf, pdf, txt, html, zip, epub, "
                "md"},
           Case{"drawing=pptx", "expected one of: pdf, jpg, png, svg"},
           Case{"document=", "cannot be exported as ''"},
           Case{"document=pdf,document=odt", "named twice"},
           Case{"document=pdf,application/vnd.google-apps.document=odt",
                "named twice"},
           Case{"document=pdf,,spreadsheet=csv", "empty entry"},
           Case{"document=pdf,", "empty entry"},
       }) {
    INFO(c.spec);
    const Result<ExportMap> map = ParseExportMap(c.spec);
    REQUIRE_FALSE(map.ok());
    CHECK(map.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(map.status().message(), Catch::Contains(c.message_part));
  }
}

}  // namespace
}  // namespace gdmount::vfs
