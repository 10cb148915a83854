// The emulator's file blobs: bytes read back exactly, and no descriptor
// held per blob (a long soak keeps tens of thousands of revisions).
#include "tests/emulator/blob.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace gdmount::emulator {
namespace {

int OpenDescriptors() {
  int n = 0;
  for ([[maybe_unused]] const auto& fd :
       std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

std::shared_ptr<const Blob> Write(const std::string& path,
                                  const std::string& bytes) {
  auto w = BlobWriter::Open(path, /*resume=*/false);
  REQUIRE(w.ok());
  REQUIRE((*w)->Append(bytes.data(), bytes.size()).ok());
  auto blob = (*w)->Finish(/*keep_file=*/false);
  REQUIRE(blob.ok());
  return *blob;
}

TEST_CASE("File blobs read back exactly and hold no descriptor each",
          "[unit][emulator]") {
  testing::TempDir dir;
  const int before = OpenDescriptors();
  std::vector<std::shared_ptr<const Blob>> blobs;
  for (int i = 0; i < 300; ++i)
    blobs.push_back(Write(dir.path() + "/b" + std::to_string(i),
                          "blob number " + std::to_string(i)));
  CHECK(OpenDescriptors() - before < 10);
  std::string buf(3, '\0');
  REQUIRE(blobs[123]->ReadAt(5, buf.data(), 3).ok());
  CHECK(buf == "num");
  CHECK(blobs[299]->digests().md5.size() == 32);
  // Past the end: refused, not read.
  CHECK_FALSE(blobs[0]->ReadAt(10, buf.data(), 10).ok());
  // The file goes with the last reference.
  const std::string path = dir.path() + "/b0";
  blobs[0].reset();
  CHECK_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace gdmount::emulator
