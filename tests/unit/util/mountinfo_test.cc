// The mount table reader: escaped paths, and this process's own mounts.
#include "util/mountinfo.h"

#include <catch2/catch.hpp>

namespace gdmount::util {
namespace {

TEST_CASE("Mount paths with spaces and backslashes are decoded",
          "[unit][util]") {
  CHECK(DecodeMountPath("/home/me/Google\\040Drive") ==
        "/home/me/Google Drive");
  CHECK(DecodeMountPath("/a\\011b\\012c\\134d") == "/a\tb\nc\\d");
  CHECK(DecodeMountPath("/plain") == "/plain");
  CHECK(DecodeMountPath("/odd\\04") == "/odd\\04");  // too short: kept
  CHECK(DecodeMountPath("/odd\\999") == "/odd\\999");
}

TEST_CASE("The mount table has the root file system", "[unit][util]") {
  auto table = ReadMountTable();
  const MountEntry* root = MountAt(table, "/");
  REQUIRE(root != nullptr);
  CHECK_FALSE(root->type.empty());
  CHECK(root->device.find(':') != std::string::npos);
  CHECK(MountAt(table, "/no/such/mount/point") == nullptr);
}

}  // namespace
}  // namespace gdmount::util
