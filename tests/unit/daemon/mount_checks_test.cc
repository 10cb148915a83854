// The checks before mounting: each mistake's message carries its fix.
#include "daemon/mount_checks.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace gdmount::daemon {
namespace {

TEST_CASE("No /dev/fuse, or no fusermount3 for a user, says what to install",
          "[unit][daemon]") {
  testing::TempDir dir;
  Status missing = CheckFuseAvailable(dir.path() + "/fuse", /*root=*/true);
  CHECK(missing.code() == StatusCode::kNotSupported);
  CHECK_THAT(missing.message(), Catch::Contains("sudo modprobe fuse"));
  CHECK_THAT(missing.message(), Catch::Contains("--device /dev/fuse"));
  // A device that exists, a user without fusermount3 on PATH.
  std::ofstream(dir.path() + "/fuse") << "";
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path ? old_path : "";
  setenv("PATH", dir.path().c_str(), 1);
  Status no_helper = CheckFuseAvailable(dir.path() + "/fuse", /*root=*/false);
  setenv("PATH", saved.c_str(), 1);
  CHECK_THAT(no_helper.message(),
             Catch::Contains("sudo apt-get install fuse3"));
  CHECK(CheckFuseAvailable(dir.path() + "/fuse", /*root=*/true).ok());
}

TEST_CASE("A mount point must exist, be a directory and be empty",
          "[unit][daemon]") {
  testing::TempDir dir;
  CHECK_THAT(CheckMountPoint(dir.path() + "/x", false).message(),
             Catch::Contains("mkdir -p " + dir.path() + "/x"));
  std::ofstream(dir.path() + "/f") << "x";
  CHECK(CheckMountPoint(dir.path() + "/f", false).code() ==
        StatusCode::kNotDirectory);
  CHECK(CheckMountPoint(dir.path(), false).code() == StatusCode::kNotEmpty);
  CHECK(CheckMountPoint(dir.path(), /*allow_nonempty=*/true).ok());
  ::mkdir((dir.path() + "/empty").c_str(), 0755);
  CHECK(CheckMountPoint(dir.path() + "/empty/", false).ok());
}

}  // namespace
}  // namespace gdmount::daemon
