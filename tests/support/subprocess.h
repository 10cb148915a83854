// Subprocess: a child process with pipes to its stdin and stdout (stderr
// captured separately), for tests that drive real binaries (gdmount,
// gdmount-emulator, openssl). The destructor kills and reaps the child, so
// a failing test never leaves a stray process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gdmount::testing {

class Subprocess {
 public:
  // argv[0] is the program (looked up in PATH if it has no '/'). `env`
  // entries are added to (or replace those of) the current environment.
  Subprocess(std::vector<std::string> argv,
             std::map<std::string, std::string> env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  // The next stdout line (without '\n'), or nullopt at EOF or timeout.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Reads stdout lines until one contains `needle`; returns it.
  std::optional<std::string> ReadUntil(const std::string& needle,
                                       std::chrono::milliseconds timeout);
  // Everything stdout printed that was read so far (all of it once Wait
  // has seen the child exit).
  const std::string& output() const { return seen_; }
  bool Write(const std::string& data);
  void CloseStdin();
  // Exit status (or 128+signal); nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // stderr so far (read when the child exited or on demand).
  std::string Stderr();
  void Kill(int sig);

 private:
  void Drain(int fd, std::string* into);
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_buf_, err_buf_, seen_;
  std::optional<int> status_;
};

}  // namespace gdmount::testing
