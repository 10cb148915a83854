// mount.fuse.gdmount's translation of an fstab line into a gdmount command.
#include "daemon/mount_helper.h"

#include <catch2/catch.hpp>

namespace gdmount::daemon {
namespace {

using V = std::vector<std::string>;

TEST_CASE("An fstab line becomes a gdmount mount command", "[unit][daemon]") {
  CHECK(IsMountHelperName("/sbin/mount.fuse.gdmount"));
  CHECK(IsMountHelperName("mount.gdmount"));
  CHECK_FALSE(IsMountHelperName("/usr/bin/gdmount"));
  auto c = MountHelperCommand(
      {"gdmount#work", "/mnt/drive", "-o",
       "rw,uid=1000,gid=1000,_netdev,noauto,x-systemd.automount,"
       "cache_budget=2000000,read_only,allow_other",
       "-n"});
  REQUIRE(c.ok());
  CHECK(*c == V{"--account", "work", "--cache-budget=2000000", "--read-only",
                "mount", "/mnt/drive", "-o",
                "rw,uid=1000,gid=1000,allow_other"});
  // The default account, and no options at all.
  CHECK(*MountHelperCommand({"gdmount", "/d"}) ==
        V{"--account", "default", "mount", "/d"});
  CHECK(*MountHelperCommand({"gdmount#", "/d", "-odefaults"}) ==
        V{"--account", "default", "mount", "/d"});
}

TEST_CASE("Bad fstab options are refused with the fix", "[unit][daemon]") {
  auto unknown = MountHelperCommand({"gdmount", "/d", "-o", "cache_budgt=1"});
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.status().message(),
             Catch::Contains("unknown option 'cache_budgt'"));
  auto valueless = MountHelperCommand({"gdmount", "/d", "-o", "cache_budget"});
  REQUIRE_FALSE(valueless.ok());
  CHECK_THAT(valueless.status().message(),
             Catch::Contains("cache_budget=BYTES"));
  auto lonely = MountHelperCommand({"/d"});
  REQUIRE_FALSE(lonely.ok());
  CHECK_THAT(lonely.status().message(), Catch::Contains("fuse.gdmount"));
}

}  // namespace
}  // namespace gdmount::daemon
