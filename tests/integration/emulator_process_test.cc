// The gdmount-emulator binary as scripts use it (DESIGN.md section 7): the
// first stdout line, clean SIGTERM exit, persistence with --state across
// clean restarts and kill -9.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/emulator_fixture.h"

extern char** environ;

namespace {

// A child emulator process; always killed and reaped by the destructor.
class EmulatorProcess {
 public:
  explicit EmulatorProcess(std::vector<std::string> args) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    args.insert(args.begin(), GDMOUNT_EMULATOR_BIN);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, GDMOUNT_EMULATOR_BIN, &fa, nullptr, argv.data(),
                        environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    fd_ = out[0];
    first_line_ = ReadLine(std::chrono::seconds(30));
    std::smatch m;
    static const std::regex kLine(
        "^gdmount-emulator listening on (http://127\\.0\\.0\\.1:[0-9]+)$");
    if (std::regex_match(first_line_, m, kLine)) url_ = m[1];
  }
  ~EmulatorProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  const std::string& url() const { return url_; }
  const std::string& first_line() const { return first_line_; }
  // Sends sig and returns the exit status (or -signal).
  int Stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  std::string ReadLine(std::chrono::seconds timeout) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char c;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      if (read(fd_, &c, 1) != 1) break;
      if (c == '\n') break;
      line.push_back(c);
    }
    return line;
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string first_line_, url_;
};

gdmount::testing::TestResponse Get(const std::string& url,
                                   const std::string& path,
                                   std::vector<std::string> headers = {}) {
  // Reuse the fixture's libcurl client through a throwaway fixture-free call.
  headers.push_back("Authorization: Bearer t0k");
  return gdmount::testing::HttpCall("GET", url + path, "", headers);
}

std::string TempDir() {
  std::string tmpl =
      std::filesystem::temp_directory_path().string() + "/gdm-emu-XXXXXX";
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace

TEST_CASE("emulator prints its URL first and exits 0 on SIGTERM",
          "[integration]") {
  EmulatorProcess p(
      {"--port", "0", "--static-token", "t0k", "--generate", "big/=3x1K"});
  REQUIRE_FALSE(p.url().empty());
  auto r = Get(p.url(), "/drive/v3/files?fields=files(name)&q=" +
                            gdmount::testing::Q("name = '000002.bin'"));
  CHECK(r.status == 200);
  CHECK(r.json()["files"].size() == 1);
  CHECK(p.Stop(SIGTERM) == 0);
}

TEST_CASE("emulator rejects bad flags with exit status 2", "[integration]") {
  EmulatorProcess p({"--no-such-flag"});
  CHECK(p.url().empty());
  CHECK(p.Stop(0) == 2);
}

TEST_CASE(
    "emulator --state keeps files, bytes and change tokens across restarts and "
    "kill -9",
    "[integration]") {
  std::string dir = TempDir();
  std::string id, start, md5;
  {
    EmulatorProcess p({"--port", "0", "--static-token", "t0k", "--state", dir});
    REQUIRE_FALSE(p.url().empty());
    start = Get(p.url(), "/drive/v3/changes/startPageToken")
                .json()["startPageToken"];
    std::string body =
        "--b\r\nContent-Type: "
        "application/json\r\n\r\n{\"name\":\"kept.txt\"}\r\n--b\r\n"
        "Content-Type: text/plain\r\n\r\nsurvives\r\n--b--\r\n";
    auto up = gdmount::testing::HttpCall(
        "POST",
        p.url() +
            "/upload/drive/v3/files?uploadType=multipart&fields=id,md5Checksum",
        body,
        {"Authorization: Bearer t0k",
         "Content-Type: multipart/related; boundary=b"});
    REQUIRE(up.status == 200);
    id = up.json()["id"];
    md5 = up.json()["md5Checksum"];
    CHECK(p.Stop(SIGTERM) == 0);
  }
  {
    EmulatorProcess p({"--port", "0", "--static-token", "t0k", "--state", dir});
    REQUIRE_FALSE(p.url().empty());
    CHECK(Get(p.url(), "/drive/v3/files/" + id + "?alt=media").body ==
          "survives");
    auto changes = Get(p.url(), "/drive/v3/changes?pageToken=" + start +
                                    "&fields=changes(fileId)")
                       .json();
    REQUIRE(changes["changes"].size() == 1);
    CHECK(changes["changes"][0]["fileId"] == id);
    // A rename, then kill -9: the journal already has it.
    auto r = gdmount::testing::HttpCall(
        "PATCH", p.url() + "/drive/v3/files/" + id, R"({"name":"after-kill"})",
        {"Authorization: Bearer t0k", "Content-Type: application/json"});
    REQUIRE(r.status == 200);
    CHECK(p.Stop(SIGKILL) == -SIGKILL);
  }
  {
    EmulatorProcess p({"--port", "0", "--static-token", "t0k", "--state", dir});
    REQUIRE_FALSE(p.url().empty());
    auto f = Get(p.url(), "/drive/v3/files/" + id + "?fields=name,md5Checksum")
                 .json();
    CHECK(f["name"] == "after-kill");
    CHECK(f["md5Checksum"] == md5);
    CHECK(p.Stop(SIGTERM) == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("emulator --state keeps a resumable session across a restart",
          "[integration]") {
  std::string dir = TempDir();
  const size_t q = 256 * 1024;
  std::string bytes(2 * q, 'a');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 131 % 251);
  std::string session_path;
  {
    EmulatorProcess p({"--port", "0", "--static-token", "t0k", "--state", dir});
    auto init = gdmount::testing::HttpCall(
        "POST", p.url() + "/upload/drive/v3/files?uploadType=resumable",
        R"({"name":"r.bin"})",
        {"Authorization: Bearer t0k", "Content-Type: application/json",
         "X-Upload-Content-Length: " + std::to_string(bytes.size())});
    REQUIRE(init.status == 200);
    session_path = init.header("location").substr(p.url().size());
    auto c1 = gdmount::testing::HttpCall(
        "PUT", p.url() + session_path, bytes.substr(0, q),
        {"Content-Range: bytes 0-262143/" + std::to_string(bytes.size())});
    CHECK(c1.status == 308);
    CHECK(p.Stop(SIGTERM) == 0);
  }
  {
    EmulatorProcess p({"--port", "0", "--static-token", "t0k", "--state", dir});
    auto st = gdmount::testing::HttpCall(
        "PUT", p.url() + session_path, "",
        {"Content-Range: bytes */" + std::to_string(bytes.size())});
    CHECK(st.status == 308);
    CHECK(st.header("range") == "bytes=0-262143");
    auto c2 = gdmount::testing::HttpCall(
        "PUT", p.url() + session_path + "&fields=id,md5Checksum",
        bytes.substr(q),
        {"Content-Range: bytes 262144-524287/" + std::to_string(bytes.size())});
    REQUIRE(c2.status == 200);
    CHECK(c2.json()["md5Checksum"] == gdmount::testing::Md5Hex(bytes));
    CHECK(p.Stop(SIGTERM) == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("emulator --state keeps items shared with the user",
          "[integration]") {
  std::string seed = TempDir(), dir = TempDir();
  std::filesystem::create_directories(seed + "/.shared/Project");
  std::ofstream(seed + "/.shared/Project/a.txt") << "aaa";
  const std::string q =
      "/drive/v3/files?fields=files(name,parents,ownedByMe,sharedWithMeTime,"
      "owners(emailAddress),capabilities(canEdit))&q=" +
      gdmount::testing::Q("sharedWithMe = true");
  nlohmann::json before;
  // kill -9 keeps what the seed journalled; SIGTERM keeps the compaction.
  for (int sig : {SIGKILL, SIGTERM, SIGTERM}) {
    EmulatorProcess p({"--port", "0", "--static-token", "t0k", "--seed", seed,
                       "--state", dir});
    REQUIRE_FALSE(p.url().empty());
    auto files = Get(p.url(), q).json()["files"];
    REQUIRE(files.size() == 1);
    CHECK(files[0]["name"] == "Project");
    CHECK_FALSE(files[0].contains("parents"));
    CHECK(files[0]["ownedByMe"] == false);
    CHECK(files[0]["owners"][0]["emailAddress"] == "colleague@example.com");
    CHECK(files[0]["capabilities"]["canEdit"] == false);
    if (before.is_null()) before = files[0];
    CHECK(files[0] == before);
    p.Stop(sig);
  }
  std::filesystem::remove_all(seed);
  std::filesystem::remove_all(dir);
}
