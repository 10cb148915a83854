#include "tests/emulator/faults.h"

#include <catch2/catch.hpp>
#include <string>

namespace gdmount::emulator {
namespace {

// The error message of a rejected spec ("" if it parsed).
std::string ParseError(const std::string& spec) {
  auto r = ParseFaultRule(spec);
  return r.ok() ? "" : r.status().message();
}

FaultRule Rule(const std::string& spec) {
  auto r = ParseFaultRule(spec);
  REQUIRE(r.ok());
  return *r;
}

nlohmann::json FileList() {
  return {{"kind", "drive#fileList"},
          {"files",
           {{{"id", "a"}, {"size", "10"}}, {{"id", "b"}, {"name", "dir"}}}}};
}

}  // namespace

TEST_CASE("ParseFaultRule: status and wire kinds", "[unit]") {
  FaultRule r = Rule("503:rate=0.25:method=files.get.media:times=2");
  CHECK(r.kind == FaultKind::kStatus503);
  CHECK(r.rate == 0.25);
  CHECK(r.method == "files.get.media");
  CHECK(r.times == 2);
  CHECK(Rule("reset:nth=3").nth == 3);
  CHECK_FALSE(DamagesBody(FaultKind::kTruncate));
  CHECK(ParseError("503") == "fault rule '503' needs rate=P or nth=N");
  CHECK(ParseError("503:rate=2").find("bad value for rate") == 0);
  CHECK(ParseError("503:bogus=1").find("unknown fault option 'bogus'") == 0);
}

TEST_CASE("ParseFaultRule: unknown kinds list every known kind", "[unit]") {
  CHECK(ParseError("bogus:rate=1") ==
        "unknown fault kind 'bogus' (known: 500 502 503 504 403 429 401 "
        "reset truncate malformed omit badsize)");
}

TEST_CASE("ParseFaultRule: body fault kinds and their options", "[unit]") {
  FaultRule m = Rule("malformed:nth=1");
  CHECK(m.kind == FaultKind::kMalformed);
  CHECK(FaultKindName(m.kind) == "malformed");
  FaultRule o = Rule("omit:rate=1:field=md5Checksum:method=files.list");
  CHECK(o.kind == FaultKind::kOmit);
  CHECK(o.field == "md5Checksum");
  CHECK(o.method == "files.list");
  CHECK(Rule("badsize:nth=2").delta == 1000);
  CHECK(Rule("badsize:nth=2:delta=7").delta == 7);
  CHECK(Rule("badsize:nth=2:delta=-5").delta == -5);
  for (FaultKind k :
       {FaultKind::kMalformed, FaultKind::kOmit, FaultKind::kBadSize})
    CHECK(DamagesBody(k));
}

TEST_CASE("ParseFaultRule: body fault options are checked", "[unit]") {
  CHECK(ParseError("omit:nth=1") ==
        "fault rule 'omit:nth=1' needs field=NAME (the key to omit)");
  CHECK(ParseError("omit:nth=1:field=").find("bad value for field") == 0);
  CHECK(ParseError("badsize:nth=1:delta=x").find("bad value for delta") == 0);
  CHECK(ParseError("badsize:nth=1:delta=-").find("bad value for delta") == 0);
  CHECK(ParseError("503:nth=1:field=size") ==
        "option 'field' in '503:nth=1:field=size' is only for omit");
  CHECK(ParseError("omit:nth=1:field=id:delta=3") ==
        "option 'delta' in 'omit:nth=1:field=id:delta=3' is only for badsize");
  CHECK(ParseError("badsize:nth=1:field=size").find("only for omit") !=
        std::string::npos);
}

TEST_CASE("DamageJson omits a field from every file object", "[unit]") {
  nlohmann::json list = FileList();
  DamageJson(Rule("omit:nth=1:field=id"), &list);
  CHECK_FALSE(list["files"][0].contains("id"));
  CHECK_FALSE(list["files"][1].contains("id"));
  CHECK(list["files"][0]["size"] == "10");

  nlohmann::json changes = {
      {"changes",
       {{{"fileId", "a"}, {"file", {{"id", "a"}, {"size", "3"}}}},
        {{"fileId", "b"}, {"removed", true}}}}};
  DamageJson(Rule("omit:nth=1:field=size"), &changes);
  CHECK_FALSE(changes["changes"][0]["file"].contains("size"));
  CHECK(changes["changes"][0]["fileId"] == "a");

  nlohmann::json file = {{"id", "a"}, {"size", "3"}};
  DamageJson(Rule("omit:nth=1:field=size"), &file);
  CHECK(file == nlohmann::json{{"id", "a"}});
}

TEST_CASE("DamageJson shifts sizes, never below zero", "[unit]") {
  nlohmann::json list = FileList();
  DamageJson(Rule("badsize:nth=1:delta=7"), &list);
  CHECK(list["files"][0]["size"] == "17");
  CHECK_FALSE(list["files"][1].contains("size"));  // folders stay size-less
  DamageJson(Rule("badsize:nth=1:delta=-100"), &list);
  CHECK(list["files"][0]["size"] == "0");
  nlohmann::json file = {{"size", "5"}};
  DamageJson(Rule("badsize:nth=1"), &file);
  CHECK(file["size"] == "1005");
}

TEST_CASE("DamageJsonText makes a body that does not parse", "[unit]") {
  for (const nlohmann::json& body :
       {nlohmann::json::object(), FileList(),
        nlohmann::json{{"kind", "drive#file"}, {"id", "x"}}}) {
    std::string text = body.dump(2) + "\n";
    DamageJsonText(Rule("malformed:nth=1"), &text);
    CHECK_FALSE(text.empty());
    CHECK(nlohmann::json::parse(text, nullptr, false).is_discarded());
  }
  std::string untouched = FileList().dump();
  DamageJsonText(Rule("omit:nth=1:field=id"), &untouched);
  CHECK(untouched == FileList().dump());
}

TEST_CASE("FaultInjector: body faults ignore media requests", "[unit]") {
  FaultInjector inj({Rule("malformed:nth=1")}, RateLimitOptions{}, 1);
  CHECK_FALSE(inj.Decide("files.get.media", /*media=*/true).has_value());
  auto fired = inj.Decide("files.get", /*media=*/false);
  REQUIRE(fired.has_value());
  CHECK(fired->kind == FaultKind::kMalformed);
  FaultInjector omit({Rule("omit:nth=1:field=size")}, RateLimitOptions{}, 1);
  CHECK(omit.Decide("files.list", false)->field == "size");
  CHECK(omit.Describe()["faults"][0]["field"] == "size");
}

}  // namespace gdmount::emulator
