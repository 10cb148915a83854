// Docs are part of the feature: every setting is in docs/configuration.md.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "config/settings.h"

namespace gdmount::config {
namespace {

TEST_CASE("Every setting is documented with its key, flag and variable",
          "[unit][config][docs]") {
  std::ifstream in(std::string(GDMOUNT_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  for (const SettingInfo& s : SettingsTable()) {
    INFO(s.key);
    CHECK(doc.find("| `" + s.key + "` |") != std::string::npos);
    CHECK(doc.find("`" + s.flag) != std::string::npos);
    if (!s.env.empty()) CHECK(doc.find("`" + s.env + "`") != std::string::npos);
  }
}

}  // namespace
}  // namespace gdmount::config
