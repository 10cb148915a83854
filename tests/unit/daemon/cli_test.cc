#include "daemon/cli.h"

#include <catch2/catch.hpp>

#include "daemon/auth_command.h"

namespace gdmount::daemon {
namespace {

const std::map<std::string, OptionSpec> kCommands = {{"auth", AuthOptions()}};

TEST_CASE("Settings flags go anywhere, command options after the command",
          "[unit][cli]") {
  auto cl = ParseCommandLine({"--endpoint", "http://127.0.0.1:5", "auth",
                              "--headless", "--account=work"},
                             kCommands);
  REQUIRE(cl.ok());
  CHECK(cl->command == "auth");
  CHECK(cl->settings.at("--endpoint") == "http://127.0.0.1:5");
  CHECK(cl->settings.at("--account") == "work");
  CHECK(cl->options.count("--headless") == 1);
  auto sa = ParseCommandLine(
      {"auth", "--service-account", "k.json", "--subject=u@x"}, kCommands);
  REQUIRE(sa.ok());
  CHECK(sa->options.at("--service-account") == "k.json");
  CHECK(sa->options.at("--subject") == "u@x");
}

TEST_CASE("Command-line mistakes are clear errors", "[unit][cli]") {
  auto typo = ParseCommandLine({"auth", "--headles"}, kCommands);
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().message().find("did you mean --headless?") !=
        std::string::npos);
  auto missing = ParseCommandLine({"auth", "--service-account"}, kCommands);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("needs a value") != std::string::npos);
  auto extra = ParseCommandLine({"auth", "--headless=yes"}, kCommands);
  REQUIRE_FALSE(extra.ok());
  // A command option before its command is unknown.
  CHECK_FALSE(ParseCommandLine({"--headless", "auth"}, kCommands).ok());
}

}  // namespace
}  // namespace gdmount::daemon
