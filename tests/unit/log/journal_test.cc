// Under systemd (stderr is the journal's stream, JOURNAL_STREAM names it),
// log lines carry sd-daemon priorities; elsewhere the plain prefix.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "gdmount/log.h"
#include "tests/support/temp_dir.h"

namespace gdmount::log {
namespace {

// Logs `message` at `level` with stderr on a file; returns what it got.
std::string Captured(const std::string& path, bool journal, Level level,
                     const std::string& message) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  struct stat st;
  REQUIRE(::fstat(fd, &st) == 0);
  const std::string stream =
      std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  if (journal) ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  StderrSink(level, message);
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  ::unsetenv("JOURNAL_STREAM");
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("Log lines carry journald priorities when stderr is the journal",
          "[unit][log]") {
  testing::TempDir dir;
  const std::string f = dir.path() + "/stderr";
  CHECK(Captured(f, true, Level::kWarning, "disk full") == "<4>disk full\n");
  CHECK(Captured(f, true, Level::kError, "x") == "<3>x\n");
  CHECK(Captured(f, true, Level::kInfo, "x") == "<6>x\n");
  CHECK(Captured(f, true, Level::kDebug, "x") == "<7>x\n");
  CHECK(Captured(f, false, Level::kWarning, "disk full") ==
        "gdmount: W disk full\n");
}

}  // namespace
}  // namespace gdmount::log
