#include "tests/emulator/query.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gdmount::emulator {
namespace {

constexpr int64_t k2024 = 1704067200000;  // 2024-01-01T00:00:00Z
constexpr int64_t kHour = 3600 * 1000;

QueryContext Ctx() {
  QueryContext ctx;
  ctx.root_id = "ROOT";
  ctx.me_email = "quinn@example.com";
  ctx.now_ms = k2024;
  return ctx;
}

FileRecord File(std::string name) {
  FileRecord f;
  f.id = "id-" + name;
  f.name = std::move(name);
  f.mime_type = "text/plain";
  f.parents = {"ROOT"};
  f.created_ms = k2024;
  f.modified_ms = k2024;
  return f;
}

Query MustParse(std::string_view q) {
  Result<Query> r = Query::Parse(q);
  INFO("q = " << q << " -> " << r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

bool M(std::string_view q, const FileRecord& f,
       const QueryContext& ctx = Ctx()) {
  return MustParse(q).Matches(f, ctx);
}

// Parse must fail with kInvalidArgument and a message containing `what`.
void ExpectError(std::string_view q, const std::string& what) {
  Result<Query> r = Query::Parse(q);
  INFO("q = " << q);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains(what));
}

TEST_CASE("Query precedence: not > and > or, parentheses override", "[unit]") {
  const FileRecord a = File("a");
  FileRecord b_starred = File("b");
  b_starred.starred = true;
  FileRecord a_starred = File("a");
  a_starred.starred = true;

  // a or (b and starred): true for unstarred 'a'.
  CHECK(M("name = 'a' or name = 'b' and starred = true", a));
  // (a or b) and starred: false for unstarred 'a'.
  CHECK_FALSE(M("(name = 'a' or name = 'b') and starred = true", a));
  CHECK(M("(name = 'a' or name = 'b') and starred = true", b_starred));
  // (not a) and starred.
  CHECK_FALSE(M("not name = 'a' and starred = true", a_starred));
  CHECK(M("not name = 'a' and starred = true", b_starred));
  CHECK(M("not (name = 'a' and starred = true)", a));
  CHECK(M("not not name = 'a'", a));
  // and binds tighter on the left too: (b and starred) or a.
  CHECK(M("name = 'b' and starred = true or name = 'a'", a));
  CHECK_FALSE(M("name = 'b' and (starred = true or name = 'a')", a));
  // Nested groups and long chains.
  CHECK(M("((name = 'x') or ((name = 'y') or (name = 'a')))", a));
  CHECK(M("name != 'x' and name != 'y' and name != 'z' and name = 'a'", a));
}

TEST_CASE("Query keywords are case-insensitive, term names are not", "[unit]") {
  FileRecord f = File("report");
  f.starred = true;
  f.properties["k"] = "v";
  CHECK(M("NOT trashed = TRUE AnD starred = True oR name = 'x'", f));
  CHECK(M("name CONTAINS 'rep'", f));
  CHECK(M("'ROOT' IN parents", f));
  CHECK(M("properties HAS { KEY = 'k' AND Value = 'v' }", f));
  ExpectError("Name = 'report'", "unknown query term 'Name'");
  ExpectError("mimetype = 'text/plain'", "unknown query term 'mimetype'");
  ExpectError("'ROOT' in Parents", "expected parents, owners");
}

TEST_CASE("Query string escapes", "[unit]") {
  const FileRecord f = File("quinn's paper\\essay");
  CHECK(M(R"(name = 'quinn\'s paper\\essay')", f));
  CHECK(M(R"(name contains 'quinn\'s')", f));
  CHECK_FALSE(M(R"(name = 'quinn\'s paper\essay')", f));  // \e is just e
  CHECK(M(R"(name = 'a\bc')", File("abc")));
  CHECK(M(R"(name = '\\')", File("\\")));
  CHECK(M(R"(name = '')", File("")));
  CHECK(M("name = 'and or not ( ) { }'", File("and or not ( ) { }")));
  ExpectError("name = 'abc", "unterminated string");
  ExpectError(R"(name = 'abc\')", "unterminated string");
  ExpectError(R"(name = 'abc\)", "unterminated string");
}

TEST_CASE("Query name =, != and contains", "[unit]") {
  const FileRecord f = File("Quarterly Report-final.txt");
  CHECK(M("name = 'Quarterly Report-final.txt'", f));
  CHECK_FALSE(M("name = 'quarterly report-final.txt'", f));  // exact case
  CHECK(M("name != 'quarterly report-final.txt'", f));
  CHECK_FALSE(M("name != 'Quarterly Report-final.txt'", f));
  CHECK(M("name contains 'quarterly'", f));
  CHECK(M("name contains 'QUART'", f));
  CHECK(M("name contains ''", f));
  ExpectError("name < 'x'", "operator '<' is not allowed with 'name'");
  ExpectError("name has { key='a' and value='b' }", "expected an operator");
}

TEST_CASE("Query name contains modes", "[unit]") {
  using Mode = QueryContext::NameContains;
  const FileRecord hello = File("HelloWorld my_file-draft.TXT");
  QueryContext word = Ctx();
  QueryContext prefix = Ctx();
  prefix.name_contains = Mode::kPrefix;
  QueryContext sub = Ctx();
  sub.name_contains = Mode::kSubstring;
  REQUIRE(word.name_contains == Mode::kWordPrefix);  // the default

  for (const QueryContext* ctx : {&word, &prefix, &sub}) {
    CHECK(M("name contains 'hello'", hello, *ctx));
    CHECK(M("name contains 'HelloWorld my'", hello, *ctx));
    CHECK_FALSE(M("name contains 'nope'", hello, *ctx));
  }
  // Word starts after non-alphanumerics (space, '_', '-', '.').
  CHECK(M("name contains 'my'", hello, word));
  CHECK(M("name contains 'file'", hello, word));
  CHECK(M("name contains 'draft'", hello, word));
  CHECK(M("name contains 'txt'", hello, word));
  CHECK_FALSE(M("name contains 'World'", hello, word));  // camel case
  CHECK_FALSE(M("name contains 'ile'", hello, word));
  CHECK_FALSE(M("name contains 'my'", hello, prefix));
  CHECK_FALSE(M("name contains 'file'", hello, prefix));
  CHECK(M("name contains 'World'", hello, sub));
  CHECK(M("name contains 'ile-dr'", hello, sub));
  // Case-insensitivity beyond ASCII; non-ASCII letters are word characters.
  const FileRecord ete = File("Été über Ωmega");
  CHECK(M("name contains 'éTÉ'", ete, word));
  CHECK(M("name contains 'ÜBER'", ete, word));
  CHECK(M("name contains 'ωMEGA'", ete, word));
  CHECK_FALSE(M("name contains 'ber'", ete, word));
  CHECK(M("name contains 'ber'", ete, sub));
}

TEST_CASE("Query fullText", "[unit]") {
  FileRecord f = File("Budget 2024.xlsx");
  f.description = "Numbers for the QUARTERLY review, draft";
  CHECK(M("fullText contains 'budget'", f));
  CHECK(M("fullText contains '2024'", f));
  CHECK(M("fullText contains 'quarterly'", f));      // description
  CHECK_FALSE(M("fullText contains 'quarter'", f));  // whole words only
  CHECK_FALSE(M("fullText contains 'umbers'", f));
  CHECK(M("fullText contains 'review quarterly'", f));  // words, any order
  CHECK_FALSE(M("fullText contains 'review zebra'", f));
  CHECK(M(R"(fullText contains '"quarterly review"')", f));
  CHECK_FALSE(M(R"(fullText contains '"review quarterly"')", f));
  CHECK(M(R"(fullText contains '"the quarterly" numbers')", f));
  CHECK_FALSE(M("fullText contains ''", f));
  CHECK_FALSE(M("fullText contains 'secret'", f));  // native_text is null

  f.native_text = std::make_shared<const std::string>("Top secret plans.");
  CHECK(M("fullText contains 'SECRET'", f));
  CHECK(M(R"(fullText contains '"secret plans"')", f));
  // A phrase must lie within one field.
  CHECK_FALSE(M(R"(fullText contains '"draft top"')", f));

  ExpectError("fullText = 'x'", "operator '=' is not allowed with 'fullText'");
  ExpectError("fullText != 'x'", "not allowed");
}

TEST_CASE("Query mimeType", "[unit]") {
  FileRecord folder = File("d");
  folder.mime_type = kFolderMime;
  CHECK(M("mimeType = 'application/vnd.google-apps.folder'", folder));
  CHECK_FALSE(M("mimeType != 'application/vnd.google-apps.folder'", folder));
  CHECK(M("mimeType != 'text/plain'", folder));
  CHECK(M("mimeType contains 'google-apps'", folder));
  CHECK(M("mimeType contains 'FOLDER'", folder));
  CHECK_FALSE(M("mimeType contains 'image/'", folder));
  ExpectError("mimeType > 'a'", "not allowed with 'mimeType'");
}

TEST_CASE("Query time comparisons", "[unit]") {
  FileRecord f = File("t");
  f.created_ms = k2024 - kHour;
  f.modified_ms = k2024;
  f.viewed_by_me_ms = k2024 + kHour;
  const char* kAt = "'2024-01-01T00:00:00Z'";
  struct Case {
    const char* op;
    bool below, at, above;  // modified_ms relative to the constant
  };
  const Case cases[] = {{"<", false, false, true}, {"<=", false, true, true},
                        {"=", false, true, false}, {"!=", true, false, true},
                        {">", true, false, false}, {">=", true, true, false}};
  for (const Case& c : cases) {
    const std::string op = c.op;
    INFO("op " << op);
    CHECK(M("modifiedTime " + op + " '2023-12-31T23:59:59.999Z'", f) ==
          c.below);
    CHECK(M("modifiedTime " + op + " " + kAt, f) == c.at);
    CHECK(M("modifiedTime " + op + " '2024-01-01T00:00:00.001Z'", f) ==
          c.above);
    CHECK(M("createdTime " + op + " '2023-12-31T23:00:00'", f) == c.at);
    CHECK(M("viewedByMeTime " + op + " '2024-01-01T01:00:00'", f) == c.at);
  }
  // Zones, fractions and separators.
  CHECK(M("modifiedTime = '2024-01-01T00:00:00'", f));
  CHECK(M("modifiedTime = '2024-01-01T01:00:00+01:00'", f));
  CHECK(M("modifiedTime = '2023-12-31T19:30:00-04:30'", f));
  CHECK(M("modifiedTime = '2024-01-01t00:00:00.000000z'", f));
  CHECK(M("modifiedTime = '2024-01-01 00:00:00.0'", f));
  CHECK(M("modifiedTime < '2024-01-01T00:00:00.0019Z'", f));
  f.modified_ms = k2024 + 1;
  CHECK(M("modifiedTime = '2024-01-01T00:00:00.0019Z'", f));  // truncated
  f.modified_ms = 951782400000;  // 2000-02-29T00:00:00Z (leap day)
  CHECK(M("modifiedTime = '2000-02-29T00:00:00Z'", f));
  f.modified_ms = -86400000;
  CHECK(M("modifiedTime = '1969-12-31T00:00:00Z'", f));

  // Never viewed: every comparison is false, != included.
  f.viewed_by_me_ms = 0;
  for (const Case& c : cases) {
    CHECK_FALSE(M(std::string("viewedByMeTime ") + c.op + " " + kAt, f));
  }
}

TEST_CASE("Query bad dates", "[unit]") {
  for (const char* bad :
       {"2024-01-01", "yesterday", "", "2024-13-01T00:00:00",
        "2023-02-29T00:00:00", "2024-04-31T00:00:00", "2024-01-01T24:00:00",
        "2024-01-01T00:60:00", "2024-01-01T00:00:60", "2024-01-01T00:00",
        "2024-01-01T00:00:00.", "2024-01-01T00:00:00+0100",
        "2024-01-01T00:00:00+01", "2024-01-01T00:00:00ZZ", "24-01-01T00:00:00",
        "2024/01/01T00:00:00"}) {
    ExpectError(std::string("modifiedTime > '") + bad + "'",
                "invalid RFC 3339 date-time");
  }
  ExpectError("createdTime contains '2024-01-01T00:00:00'",
              "not allowed with 'createdTime'");
  ExpectError("modifiedTime > true", "must be compared with a quoted string");
  ExpectError("viewedByMeTime in '2024-01-01T00:00:00'",
              "expected an operator");
}

TEST_CASE("Query boolean terms", "[unit]") {
  FileRecord f = File("b");
  f.trashed = true;
  CHECK(M("trashed = true", f));
  CHECK_FALSE(M("trashed = false", f));
  CHECK(M("trashed != false", f));
  CHECK_FALSE(M("trashed != true", f));
  CHECK(M("starred = false", f));
  CHECK(M("starred != true", f));
  f.starred = true;
  CHECK(M("starred = true", f));
  CHECK(M("sharedWithMe = false", f));
  CHECK(M("sharedWithMe != true", f));
  CHECK_FALSE(M("sharedWithMe = true", f));
  CHECK_FALSE(M("sharedWithMe != false", f));
  f.shared_with_me = true;
  CHECK(M("sharedWithMe = true", f));
  CHECK(M("sharedWithMe != false", f));
  CHECK_FALSE(M("sharedWithMe = false", f));
  CHECK_FALSE(M("not sharedWithMe = true", f));

  ExpectError("trashed = 'true'",
              "'trashed' must be compared with true or false");
  ExpectError("starred = yes", "must be compared with true or false");
  ExpectError("trashed contains true", "operator 'contains' is not allowed");
  ExpectError("sharedWithMe < true", "not allowed with 'sharedWithMe'");
  ExpectError("name = true", "'name' must be compared with a quoted string");
}

TEST_CASE("Query parents", "[unit]") {
  FileRecord in_root = File("r");
  FileRecord in_dir = File("d");
  in_dir.parents = {"DIR"};
  FileRecord orphan = File("o");
  orphan.parents.clear();
  CHECK(M("'root' in parents", in_root));
  CHECK(M("'ROOT' in parents", in_root));
  CHECK_FALSE(M("'root' in parents", in_dir));
  CHECK(M("'DIR' in parents", in_dir));
  CHECK_FALSE(M("'dir' in parents", in_dir));
  CHECK_FALSE(M("'root' in parents", orphan));
  CHECK(M("not 'root' in parents", orphan));
  CHECK(
      M("('root' in parents or 'DIR' in parents) and trashed = false", in_dir));
  ExpectError("parents = 'x'", "'parents' must be used as 'value' in parents");
  ExpectError("'x' in foo", "expected parents, owners, writers or readers");
  ExpectError("'x' in", "expected parents, owners");
  ExpectError("'x' parents", "expected 'in' after a string");
  ExpectError("'x' in name", "expected parents, owners");
}

TEST_CASE("Query owners, writers, readers", "[unit]") {
  FileRecord mine = File("mine");
  FileRecord shared_drive = File("sd");
  shared_drive.drive_id = "DRIVE";
  FileRecord read_only = File("ro");
  read_only.read_only = true;
  FileRecord sd_read_only = shared_drive;
  sd_read_only.read_only = true;

  for (const char* who :
       {"'me'", "'quinn@example.com'", "'Quinn@Example.COM'"}) {
    const std::string w = who;
    INFO(w);
    CHECK(M(w + " in owners", mine));
    CHECK_FALSE(M(w + " in owners", shared_drive));
    CHECK(M(w + " in owners", read_only));
    CHECK(M(w + " in writers", mine));
    CHECK(M(w + " in writers", shared_drive));
    CHECK_FALSE(M(w + " in writers", read_only));
    CHECK_FALSE(M(w + " in writers", sd_read_only));
    for (const FileRecord* f :
         {&mine, &shared_drive, &read_only, &sd_read_only}) {
      CHECK(M(w + " in readers", *f));
    }
  }
  for (const char* coll : {"owners", "writers", "readers"}) {
    CHECK_FALSE(M(std::string("'other@example.com' in ") + coll, mine));
    CHECK_FALSE(M(std::string("'ME' in ") + coll, mine));
  }
  QueryContext no_email = Ctx();
  no_email.me_email.clear();
  CHECK_FALSE(M("'' in readers", mine, no_email));
  CHECK(M("'me' in readers", mine, no_email));
  ExpectError("owners = 'me'", "'owners' must be used as 'value' in owners");
}

TEST_CASE("Query owners, writers, readers of another user's item", "[unit]") {
  FileRecord theirs = File("theirs");
  theirs.owner_email = "colleague@example.com";
  theirs.read_only = true;
  for (const char* coll : {"owners", "writers", "readers"}) {
    const std::string c = coll;
    INFO(c);
    CHECK(M("'colleague@example.com' in " + c, theirs));
    CHECK(M("'Colleague@Example.com' in " + c, theirs));
    CHECK_FALSE(M("'colleague@example.com' in " + c, File("mine")));
    CHECK_FALSE(M("'other@example.com' in " + c, theirs));
  }
  CHECK_FALSE(M("'me' in owners", theirs));
  CHECK_FALSE(M("'me' in writers", theirs));
  CHECK(M("'me' in readers", theirs));
}

TEST_CASE("Query properties and appProperties", "[unit]") {
  FileRecord f = File("p");
  f.properties = {{"color", "blue"}, {"size", ""}};
  f.app_properties = {{"gdmount.inode", "42"}};
  CHECK(M("properties has { key='color' and value='blue' }", f));
  CHECK(M("properties has {key = 'size' and value = ''}", f));
  CHECK_FALSE(M("properties has { key='color' and value='Blue' }", f));
  CHECK_FALSE(M("properties has { key='colour' and value='blue' }", f));
  CHECK_FALSE(M("properties has { key='gdmount.inode' and value='42' }", f));
  CHECK(M("appProperties has { key='gdmount.inode' and value='42' }", f));
  CHECK_FALSE(M("appProperties has { key='color' and value='blue' }", f));
  CHECK(M("not appProperties has { key='gdmount.inode' and value='41' }", f));

  ExpectError("properties has { key='k' }", "expected 'and' between key");
  ExpectError("properties has { value='v' and key='k' }", "expected 'key'");
  ExpectError("properties has key='k' and value='v'", "expected '{'");
  ExpectError("properties has { key='k' and value='v'", "expected '}'");
  ExpectError("properties has { key='k' and value=v }", "expected a quoted");
  ExpectError("properties has { key!='k' and value='v' }", "expected '='");
  ExpectError("properties = 'x'", "'properties' supports only 'has'");
  ExpectError("appProperties contains 'x'", "supports only 'has'");
}

TEST_CASE("Query visibility and shortcutDetails.targetId", "[unit]") {
  FileRecord shortcut = File("s");
  shortcut.mime_type = kShortcutMime;
  shortcut.shortcut_target_id = "TARGET";
  const FileRecord plain = File("p");
  CHECK(M("visibility = 'limited'", plain));
  CHECK_FALSE(M("visibility != 'limited'", plain));
  CHECK_FALSE(M("visibility = 'anyoneWithLink'", plain));
  CHECK(M("visibility != 'anyoneCanFind'", plain));
  for (const char* v : {"domainCanFind", "domainWithLink"}) {
    CHECK_FALSE(M(std::string("visibility = '") + v + "'", plain));
  }
  ExpectError("visibility = 'public'", "unknown visibility 'public'");
  ExpectError("visibility contains 'lim'", "not allowed with 'visibility'");

  CHECK(M("shortcutDetails.targetId = 'TARGET'", shortcut));
  CHECK_FALSE(M("shortcutDetails.targetId != 'TARGET'", shortcut));
  CHECK_FALSE(M("shortcutDetails.targetId = 'TARGET'", plain));
  CHECK(M("shortcutDetails.targetId != 'TARGET'", plain));
  ExpectError("shortcutDetails.targetId contains 'T'", "not allowed");
  ExpectError("shortcutDetails.target = 'T'", "unknown query term");
}

TEST_CASE("Query syntax errors", "[unit]") {
  ExpectError("", "empty query");
  ExpectError("  \t\n ", "empty query");
  ExpectError("foo = 'x'", "unknown query term 'foo'");
  ExpectError("name = 'x' foo", "unexpected 'foo'");
  ExpectError("name = 'x' 'y'", "unexpected string 'y'");
  ExpectError("name = 'x' and", "expected a query term but found end of query");
  ExpectError("and name = 'x'", "expected a query term but found 'and'");
  ExpectError("not", "expected a query term");
  ExpectError("name = 'x' or or name = 'y'", "expected a query term");
  ExpectError("(name = 'x'", "missing ')'");
  ExpectError("((name = 'x') or name = 'y'", "missing ')'");
  ExpectError("name = 'x')", "unexpected ')'");
  ExpectError("()", "expected a query term but found ')'");
  ExpectError("name", "expected an operator after 'name'");
  ExpectError("name =", "must be compared with a quoted string, not end");
  ExpectError("name = \"x\"", "unexpected character '\"'");
  ExpectError("name ! 'x'", "'!' must be followed by '='");
  ExpectError("name == 'x'", "quoted string, not '='");
  ExpectError("name <> 'x'", "not allowed with 'name'");
  ExpectError("'x'", "expected 'in' after a string but found end of query");
  ExpectError("true", "expected a query term but found 'true'");
  // Offsets point at the problem.
  ExpectError("name = 'x' and bogus = 'y'", "(at offset 15)");
  ExpectError("name = 'x' and name = 'y", "(at offset 22)");
  // Hostile nesting is rejected, not a stack overflow.
  ExpectError(std::string(10000, '(') + "name = 'x'" + std::string(10000, ')'),
              "nested too deeply");
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "not ";
  ExpectError(nots + "starred = true", "nested too deeply");
  // Moderate nesting is fine.
  CHECK(
      M(std::string(30, '(') + "name = 'a'" + std::string(30, ')'), File("a")));
}

TEST_CASE("Query RequiredParent", "[unit]") {
  auto rp = [](std::string_view q) { return MustParse(q).RequiredParent(); };
  CHECK(rp("'DIR' in parents") == std::optional<std::string>("DIR"));
  CHECK(rp("'root' in parents and trashed = false") ==
        std::optional<std::string>("root"));
  CHECK(rp("name = 'x' and 'DIR' in parents and trashed = false") ==
        std::optional<std::string>("DIR"));
  // Parenthesised conjunctions are still top-level conjuncts.
  CHECK(rp("(name = 'x' and ('DIR' in parents)) and trashed = false") ==
        std::optional<std::string>("DIR"));
  CHECK(rp("('DIR' in parents)") == std::optional<std::string>("DIR"));
  // Not required: under or / not, or absent.
  CHECK_FALSE(rp("'A' in parents or 'B' in parents").has_value());
  CHECK_FALSE(
      rp("('A' in parents or 'B' in parents) and trashed = false").has_value());
  CHECK_FALSE(rp("'DIR' in parents or name = 'x'").has_value());
  CHECK_FALSE(rp("not 'DIR' in parents").has_value());
  CHECK_FALSE(rp("not 'DIR' in parents and trashed = false").has_value());
  CHECK_FALSE(rp("trashed = false").has_value());
  CHECK_FALSE(rp("'me' in owners and trashed = false").has_value());
  CHECK_FALSE(
      rp("name = 'x' and 'DIR' in parents or starred = true").has_value());
}

TEST_CASE("Query index lag hides recent renames from name and fullText",
          "[unit]") {
  FileRecord f = File("fresh");
  f.description = "fresh words";
  QueryContext ctx = Ctx();
  ctx.index_lag_ms = 5000;
  f.name_changed_ms = ctx.now_ms - 1000;  // inside the window

  CHECK_FALSE(M("name = 'fresh'", f, ctx));
  CHECK_FALSE(M("name != 'stale'", f, ctx));
  CHECK_FALSE(M("name contains 'fr'", f, ctx));
  CHECK_FALSE(M("fullText contains 'fresh'", f, ctx));
  CHECK(M("not name = 'fresh'", f, ctx));  // the predicate is false
  // Other terms are current.
  CHECK(M("'root' in parents and trashed = false", f, ctx));
  CHECK(M("'root' in parents or name = 'fresh'", f, ctx));

  f.name_changed_ms = ctx.now_ms - 5000;  // window elapsed
  CHECK(M("name = 'fresh'", f, ctx));
  CHECK(M("fullText contains 'fresh'", f, ctx));
  f.name_changed_ms = ctx.now_ms - 4999;
  CHECK_FALSE(M("name = 'fresh'", f, ctx));

  ctx.index_lag_ms = 0;  // knob off
  f.name_changed_ms = ctx.now_ms;
  CHECK(M("name = 'fresh'", f, ctx));
}

TEST_CASE("Query UsesNameOrFullText and UsesFullText", "[unit]") {
  const Query folder = MustParse("'D' in parents and trashed = false");
  CHECK_FALSE(folder.UsesNameOrFullText());
  CHECK_FALSE(folder.UsesFullText());
  const Query by_name = MustParse("'D' in parents and not name = 'x'");
  CHECK(by_name.UsesNameOrFullText());
  CHECK_FALSE(by_name.UsesFullText());
  const Query text = MustParse("starred = true or fullText contains 'x'");
  CHECK(text.UsesNameOrFullText());
  CHECK(text.UsesFullText());
}

TEST_CASE("Query is movable", "[unit]") {
  Query q = MustParse("name = 'a'");
  Query moved = std::move(q);
  CHECK(moved.Matches(File("a"), Ctx()));
  Query other = MustParse("name = 'b'");
  other = std::move(moved);
  CHECK(other.Matches(File("a"), Ctx()));
  CHECK_FALSE(other.Matches(File("b"), Ctx()));
}

}  // namespace
}  // namespace gdmount::emulator
