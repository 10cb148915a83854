#include "config/config_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace gdmount::config {
namespace {

const std::vector<std::string> kKnownKeys = {
    "name",      "client_id",           "client_secret",   "count",
    "read_only", "account.*.client_id", "account.*.scope", "log.level",
};

Result<ConfigMap> Parse(std::string_view text) {
  return ParseConfig(text, "config.toml", kKnownKeys);
}

// The message of the error `text` fails with, or "" if it parses.
std::string ErrorOf(std::string_view text) {
  Result<ConfigMap> r = Parse(text);
  if (r.ok()) return "";
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

// The one value `text` defines under `key`; fails the test otherwise.
ConfigValue ValueOf(std::string_view text, const std::string& key) {
  Result<ConfigMap> r = Parse(text);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->count(key) == 1);
  return r->at(key);
}

TEST_CASE("ParseConfig reads every value kind", "[unit]") {
  Result<ConfigMap> r = Parse(
      "name = \"plain\"\n"
      "client_id = 'C:\\no\\escapes'\n"
      "count = 42\n"
      "read_only = true\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  const ConfigValue& name = r->at("name");
  CHECK(name.type == ConfigValue::Type::kString);
  CHECK(name.str == "plain");
  CHECK(name.line == 1);
  CHECK(r->at("client_id").str == "C:\\no\\escapes");
  CHECK(r->at("client_id").line == 2);
  CHECK(r->at("count").type == ConfigValue::Type::kInt);
  CHECK(r->at("count").i == 42);
  CHECK(r->at("count").line == 3);
  CHECK(r->at("read_only").type == ConfigValue::Type::kBool);
  CHECK(r->at("read_only").b);
  CHECK_FALSE(ValueOf("read_only = false", "read_only").b);
  CHECK(ValueOf("name = \"\"", "name").str.empty());
  CHECK(ValueOf("name = ''", "name").str.empty());
}

TEST_CASE("ParseConfig decodes basic-string escapes", "[unit]") {
  CHECK(ValueOf(R"(name = "q\"b\\n\nt\tr\rb\bf\f")", "name").str ==
        "q\"b\\n\nt\tr\rb\bf\f");
  CHECK(ValueOf(R"(name = "\u0041\u00e9\u20ac")", "name").str ==
        "A\xc3\xa9\xe2\x82\xac");
  CHECK(ValueOf(R"(name = "\U0001F600")", "name").str == "\xf0\x9f\x98\x80");
  CHECK(ValueOf("name = \"caf\xc3\xa9\"", "name").str == "caf\xc3\xa9");
}

TEST_CASE("ParseConfig reads TOML integers", "[unit]") {
  CHECK(ValueOf("count = 0", "count").i == 0);
  CHECK(ValueOf("count = -0", "count").i == 0);
  CHECK(ValueOf("count = +5", "count").i == 5);
  CHECK(ValueOf("count = -17", "count").i == -17);
  CHECK(ValueOf("count = 8_388_608", "count").i == 8388608);
  CHECK(ValueOf("count = 9223372036854775807", "count").i ==
        std::numeric_limits<int64_t>::max());
  CHECK(ValueOf("count = -9_223_372_036_854_775_808", "count").i ==
        std::numeric_limits<int64_t>::min());
}

TEST_CASE("ConfigValue::AsText gives the value as a flag would take it",
          "[unit]") {
  CHECK(ValueOf("name = \"8MiB\"", "name").AsText() == "8MiB");
  CHECK(ValueOf("name = 'a\\b'", "name").AsText() == "a\\b");
  CHECK(ValueOf("count = +8_192", "count").AsText() == "8192");
  CHECK(ValueOf("count = -3", "count").AsText() == "-3");
  CHECK(ValueOf("read_only = true", "read_only").AsText() == "true");
  CHECK(ValueOf("read_only = false", "read_only").AsText() == "false");
}

TEST_CASE("ParseConfig flattens [tables] and dotted keys", "[unit]") {
  Result<ConfigMap> r = Parse(
      "name = \"top\"\n"
      "[account.work]\n"
      "client_id = \"w\"\n"
      "[ account . home ]\n"
      "client_id = \"h\"\n"
      "scope = \"s\"\n"
      "[log]\n"
      "level = \"debug\"\n"
      "[account]\n"
      "other . scope = \"o\"\n");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->size() == 6);
  CHECK(r->at("name").str == "top");
  CHECK(r->at("account.work.client_id").str == "w");
  CHECK(r->at("account.home.client_id").str == "h");
  CHECK(r->at("account.home.scope").line == 6);
  CHECK(r->at("log.level").str == "debug");
  CHECK(r->at("account.other.scope").str == "o");
  CHECK(ValueOf("account.x.scope = 1", "account.x.scope").i == 1);
}

TEST_CASE("ParseConfig skips comments, blank lines and whitespace", "[unit]") {
  Result<ConfigMap> r = Parse(
      "# gdmount config\n"
      "\n"
      "   \t\n"
      "  name\t=  \"a # not a comment\"   # a comment\n"
      "count=1#tight\n"
      "[log] # table comment \"with quotes\"\n"
      "\tlevel = 'x'\n"
      "# trailing comment without newline");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->size() == 3);
  CHECK(r->at("name").str == "a # not a comment");
  CHECK(r->at("count").i == 1);
  CHECK(r->at("log.level").line == 7);
  CHECK(Parse("").ok());
  CHECK(Parse("").value().empty());
  CHECK(Parse("\n\n# only comments\n").value().empty());
}

TEST_CASE("ParseConfig accepts CRLF line ends and a UTF-8 BOM", "[unit]") {
  Result<ConfigMap> r =
      Parse("\xEF\xBB\xBFname = \"x\"\r\n[log]\r\nlevel = 'y' # c\r\n\r\n");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->at("name").str == "x");
  CHECK(r->at("log.level").str == "y");
  CHECK(r->at("log.level").line == 3);
  CHECK(ErrorOf("name = 1\r\ncount = x\r\n") ==
        "config.toml:2: invalid value 'x' (expected a quoted string, an "
        "integer, true or false)");
  // A CR anywhere but before LF is not a line end.
  CHECK(ErrorOf("name = \"a\rb\"") ==
        "config.toml:1: control character in string");
  CHECK(ErrorOf("count = 1\r\r\n") ==
        "config.toml:1: invalid integer '1\\x0d'");
  CHECK(ErrorOf("name = 'a'\r\r\n") ==
        "config.toml:1: unexpected '\\x0d' after value");
}

TEST_CASE("ParseConfig reports string errors with their line", "[unit]") {
  CHECK(ErrorOf("count = 1\nname = \"abc") ==
        "config.toml:2: unterminated string");
  CHECK(ErrorOf("\n\nname = 'abc") == "config.toml:3: unterminated string");
  CHECK(ErrorOf("name = \"abc\\") == "config.toml:1: unterminated string");
  CHECK(ErrorOf("name = \"abc\ndef\"") == "config.toml:1: unterminated string");
  CHECK(ErrorOf("name = \"\"\"x\"\"\"") ==
        "config.toml:1: multi-line strings are not supported");
  CHECK(ErrorOf("name = '''x'''") ==
        "config.toml:1: multi-line strings are not supported");
  CHECK(ErrorOf("name = \"a\x01\"") ==
        "config.toml:1: control character in string");
  CHECK(ErrorOf("name = 'a\x7f'") ==
        "config.toml:1: control character in string");
}

TEST_CASE("ParseConfig rejects invalid escapes", "[unit]") {
  CHECK(ErrorOf("\nname = \"a\\x41\"") ==
        "config.toml:2: invalid escape '\\x'");
  CHECK(ErrorOf("name = \"\\'\"") == "config.toml:1: invalid escape '\\''");
  CHECK(ErrorOf("name = \"\\u12\"") == "config.toml:1: \\u needs 4 hex digits");
  CHECK(ErrorOf("name = \"\\u12") == "config.toml:1: \\u needs 4 hex digits");
  CHECK(ErrorOf("name = \"\\uZZZZ\"") ==
        "config.toml:1: \\u needs 4 hex digits");
  CHECK(ErrorOf("name = \"\\u+123\"") ==
        "config.toml:1: \\u needs 4 hex digits");
  CHECK(ErrorOf("name = \"\\U0001F60\"") ==
        "config.toml:1: \\U needs 8 hex digits");
  CHECK(ErrorOf("name = \"\\uD800\"") ==
        "config.toml:1: \\u escape is not a Unicode scalar value");
  CHECK(ErrorOf("name = \"\\U00110000\"") ==
        "config.toml:1: \\U escape is not a Unicode scalar value");
}

TEST_CASE("ParseConfig rejects bytes that are not UTF-8", "[unit]") {
  CHECK(ErrorOf("count = 1\nname = \"\xff\"") ==
        "config.toml:2: invalid UTF-8");
  CHECK(ErrorOf("name = 'a\xc3'") == "config.toml:1: invalid UTF-8");
  CHECK(ErrorOf("name = \"\xc0\xaf\"") == "config.toml:1: invalid UTF-8");
  CHECK(ErrorOf("name = \"\xed\xa0\x80\"") == "config.toml:1: invalid UTF-8");
  CHECK(ErrorOf("name = \"\xf4\x90\x80\x80\"") ==
        "config.toml:1: invalid UTF-8");
  CHECK(ErrorOf("name = \"\xe2\x82\"") == "config.toml:1: invalid UTF-8");
  CHECK(ErrorOf("name = 1 # \xfe") == "config.toml:1: invalid UTF-8");
  CHECK(ErrorOf("# ok\n# \x7f") ==
        "config.toml:2: control character in comment");
}

TEST_CASE("ParseConfig rejects text after a value or header", "[unit]") {
  CHECK(ErrorOf("name = \"x\" y") ==
        "config.toml:1: unexpected 'y' after value");
  CHECK(ErrorOf("\ncount = 1 2") ==
        "config.toml:2: unexpected '2' after value");
  CHECK(ErrorOf("read_only = true false") ==
        "config.toml:1: unexpected 'false' after value");
  CHECK(ErrorOf("[log] level") ==
        "config.toml:1: unexpected 'level' after table header");
  CHECK(ErrorOf("name = 'x''y'") ==
        "config.toml:1: unexpected ''y'' after value");
}

TEST_CASE("ParseConfig rejects malformed keys and headers", "[unit]") {
  CHECK(ErrorOf("na@me = 1") ==
        "config.toml:1: invalid character '@' in key (allowed: A-Z a-z 0-9 _ "
        "-)");
  CHECK(ErrorOf("n\xc3\xa4me = 1") ==
        "config.toml:1: invalid character '\xc3\xa4' in key (allowed: A-Z a-z "
        "0-9 _ -)");
  CHECK(ErrorOf("\"name\" = 1") ==
        "config.toml:1: quoted keys are not supported");
  CHECK(ErrorOf("= 1") == "config.toml:1: missing key name");
  CHECK(ErrorOf("log. = 1") == "config.toml:1: missing key name");
  CHECK(ErrorOf("log..level = 1") == "config.toml:1: missing key name");
  CHECK(ErrorOf("name 1") == "config.toml:1: expected '=' after 'name'");
  CHECK(ErrorOf("name") == "config.toml:1: expected '=' after 'name'");
  CHECK(ErrorOf("log.level: 1") ==
        "config.toml:1: invalid character ':' in key (allowed: A-Z a-z 0-9 _ "
        "-)");
  CHECK(ErrorOf("[log#x]") ==
        "config.toml:1: invalid character '#' in key (allowed: A-Z a-z 0-9 _ "
        "-)");
  CHECK(ErrorOf("\n[log") == "config.toml:2: expected ']' after table name");
  CHECK(ErrorOf("[log.] ") == "config.toml:1: missing key name");
  CHECK(ErrorOf("[]") == "config.toml:1: missing key name");
  CHECK(ErrorOf("[[log]]") ==
        "config.toml:1: arrays of tables are not supported");
  CHECK(ErrorOf("[lo g]") == "config.toml:1: expected ']' after table name");
}

TEST_CASE("ParseConfig rejects missing and unsupported values", "[unit]") {
  CHECK(ErrorOf("name =") == "config.toml:1: missing value");
  CHECK(ErrorOf("name =   # nothing") == "config.toml:1: missing value");
  CHECK(ErrorOf("name = yes") ==
        "config.toml:1: invalid value 'yes' (expected a quoted string, an "
        "integer, true or false)");
  CHECK(ErrorOf("read_only = True") ==
        "config.toml:1: invalid value 'True' (expected a quoted string, an "
        "integer, true or false)");
  CHECK(ErrorOf("name = [1, 2]") ==
        "config.toml:1: arrays and inline tables are not supported");
  CHECK(ErrorOf("name = {a = 1}") ==
        "config.toml:1: arrays and inline tables are not supported");
}

TEST_CASE("ParseConfig rejects integers TOML rejects", "[unit]") {
  for (const char* bad : {"007", "00", "+01", "1__0", "1_", "0x10", "0o7",
                          "0b1", "1.5", "1e3", "12abc", "-_1", "+", "-"}) {
    INFO(bad);
    std::string message = ErrorOf(std::string("count = ") + bad);
    CHECK_THAT(message, Catch::StartsWith("config.toml:1: invalid "));
    CHECK_THAT(message, Catch::Contains(std::string("'") + bad + "'"));
  }
  CHECK(ErrorOf("count = 1_000_") == "config.toml:1: invalid integer '1_000_'");
  CHECK(ErrorOf("\ncount = 9223372036854775808") ==
        "config.toml:2: integer '9223372036854775808' is out of range");
  CHECK(ErrorOf("count = -9_223_372_036_854_775_809") ==
        "config.toml:1: integer '-9_223_372_036_854_775_809' is out of range");
}

TEST_CASE("ParseConfig rejects duplicate keys and tables", "[unit]") {
  CHECK(ErrorOf("name = 'a'\ncount = 1\nname = 'b'") ==
        "config.toml:3: duplicate key 'name' (first set on line 1)");
  CHECK(ErrorOf("log.level = 'a'\n[log]\nlevel = 'b'") ==
        "config.toml:3: duplicate key 'log.level' (first set on line 1)");
  CHECK(ErrorOf("[account.w]\nscope = 'a'\n\n[account.w]\n") ==
        "config.toml:4: table [account.w] is already defined on line 1");
  CHECK(ErrorOf("[log]\n[ log ]") ==
        "config.toml:2: table [log] is already defined on line 1");
}

TEST_CASE("ParseConfig stops at the first error", "[unit]") {
  CHECK(ErrorOf("name = 'x'\nbad key = 1\ncount = z") ==
        "config.toml:2: expected '=' after 'bad'");
}

TEST_CASE("ParseConfig rejects unknown keys and suggests a known one",
          "[unit]") {
  CHECK(ErrorOf("clinet_id = 'x'") ==
        "config.toml:1: unknown key 'clinet_id' (did you mean 'client_id'?)");
  CHECK(ErrorOf("# personal\n\n[account.work]\nclinet_id = 'x'") ==
        "config.toml:4: unknown key 'clinet_id' (did you mean 'client_id'?)");
  CHECK(ErrorOf("[acount.work]\nclient_id = 'x'") ==
        "config.toml:2: unknown key 'acount.work.client_id' (did you mean "
        "'account.work.client_id'?)");
  CHECK(ErrorOf("[log]\nlevle = 'x'") ==
        "config.toml:2: unknown key 'levle' (did you mean 'level'?)");
  CHECK(ErrorOf("frobnicate = 1") == "config.toml:1: unknown key 'frobnicate'");
  CHECK(ErrorOf("[log]\nfrobnicate = 1") ==
        "config.toml:2: unknown key 'log.frobnicate'");
  // '*' matches exactly one segment.
  CHECK(ErrorOf("account.client_id = 'x'") ==
        "config.toml:1: unknown key 'account.client_id'");
  CHECK_THAT(ErrorOf("account.a.b.client_id = 'x'"),
             Catch::StartsWith("config.toml:1: unknown key "
                               "'account.a.b.client_id'"));
  // A misspelling of a key that is already set is still a misspelling.
  CHECK(ErrorOf("name = 1\nnmae = 2") ==
        "config.toml:2: unknown key 'nmae' (did you mean 'name'?)");
  Result<ConfigMap> none = ParseConfig("name = 1", "x.toml", {});
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() == "x.toml:1: unknown key 'name'");
}

TEST_CASE("ClosestMatch suggests within edit distance 3", "[unit]") {
  const std::vector<std::string> flags = {"--cache-size", "--cache-dir",
                                          "--read-only", "--uid"};
  CHECK(ClosestMatch("--cache-size", flags) == "--cache-size");
  CHECK(ClosestMatch("--cahce-size", flags) == "--cache-size");  // 2
  CHECK(ClosestMatch("--cache-dri", flags) == "--cache-dir");
  CHECK(ClosestMatch("--readonly", flags) == "--read-only");  // 1
  CHECK(ClosestMatch("--cache-s", flags) == "--cache-size");  // 3
  CHECK(ClosestMatch("--cache", flags).empty());              // 4
  CHECK(ClosestMatch("--frobnicate", flags).empty());
  CHECK(ClosestMatch("anything", {}).empty());
  CHECK(ClosestMatch("", {"abcd"}).empty());  // distance 4
  CHECK(ClosestMatch("", {"abc"}) == "abc");  // distance 3
  // Ties go to the earlier candidate; a closer later one still wins.
  CHECK(ClosestMatch("ab", {"ax", "xb"}) == "ax");
  CHECK(ClosestMatch("abcd", {"axyd", "abxd"}) == "abxd");
}

TEST_CASE("ParseConfig survives 1 MB of garbage", "[unit]") {
  constexpr size_t kSize = 1 << 20;
  std::mt19937 rng(20240611);  // fixed seed: failures reproduce
  std::vector<std::string> inputs;
  std::string random_bytes(kSize, '\0');
  for (char& c : random_bytes) c = static_cast<char>(rng());
  inputs.push_back(random_bytes);
  const std::string alphabet = "ab_=.#[]\"'\\ \t\r\nu0x-+";
  std::string toml_ish(kSize, '\0');
  for (char& c : toml_ish) c = alphabet[rng() % alphabet.size()];
  inputs.push_back(toml_ish);
  inputs.push_back(std::string(kSize, 'a') + " = 1");
  inputs.push_back("name = \"" + std::string(kSize, 'x'));
  inputs.push_back("count = " + std::string(kSize, '9'));
  inputs.push_back(std::string(kSize, '['));
  inputs.push_back(std::string(kSize, '\n') + "name = [");
  std::string escapes;
  while (escapes.size() < kSize) escapes += "\\u00e9";
  inputs.push_back("name = \"" + escapes + "\"");
  std::string many_lines;
  while (many_lines.size() < kSize) many_lines += "# x\nname.z = 1\n";
  inputs.push_back(many_lines);
  for (const std::string& input : inputs) {
    Result<ConfigMap> r = Parse(input);
    if (!r.ok()) {
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
      CHECK(r.status().message().size() < 300);  // echoed text is truncated
    }
  }
  // The escapes are valid, so that one parses.
  CHECK(Parse(inputs[7]).ok());
  CHECK(ErrorOf(inputs[6]) ==
        "config.toml:1048577: arrays and inline tables are not supported");
}

using gdmount::testing::TempDir;

TEST_CASE("LoadConfigFile reads and parses a file", "[unit]") {
  TempDir dir;
  std::string file = dir.Write("config.toml", "[log]\r\nlevel = \"debug\"\n");
  Result<ConfigMap> r = LoadConfigFile(file, kKnownKeys);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->at("log.level").str == "debug");

  std::string bad = dir.Write("bad.toml", "\nlevle = 1\n");
  Result<ConfigMap> e = LoadConfigFile(bad, kKnownKeys);
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().code() == StatusCode::kInvalidArgument);
  CHECK(e.status().message() == bad + ":2: unknown key 'levle'");
}

TEST_CASE("LoadConfigFile maps file errors to status codes", "[unit]") {
  TempDir dir;
  CHECK(LoadConfigFile(dir.path() + "/missing.toml", kKnownKeys)
            .status()
            .code() == StatusCode::kNotFound);
  CHECK(LoadConfigFile(dir.path() + "/no/such/dir/config.toml", kKnownKeys)
            .status()
            .code() == StatusCode::kNotFound);
  std::string plain = dir.Write("plain", "");
  CHECK(LoadConfigFile(plain + "/config.toml", kKnownKeys).status().code() ==
        StatusCode::kNotFound);  // ENOTDIR: a path component is a file
  CHECK(LoadConfigFile(dir.path(), kKnownKeys).status().code() ==
        StatusCode::kIo);  // a directory
  std::string big = dir.Write("big.toml", std::string((1 << 20) + 1, '\n'));
  Result<ConfigMap> too_big = LoadConfigFile(big, kKnownKeys);
  CHECK(too_big.status().code() == StatusCode::kInvalidArgument);
  CHECK(too_big.status().message() == big + ": larger than 1 MiB");
  CHECK(LoadConfigFile(dir.Write("max.toml", std::string(1 << 20, '\n')),
                       kKnownKeys)
            .ok());

  std::string secret = dir.Write("secret.toml", "name = 1\n");
  REQUIRE(::chmod(secret.c_str(), 0) == 0);
  if (::geteuid() != 0) {  // root reads through mode 000
    CHECK(LoadConfigFile(secret, kKnownKeys).status().code() ==
          StatusCode::kPermissionDenied);
  }
}

}  // namespace
}  // namespace gdmount::config
