#include "tests/emulator/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/emulator/ids.h"

namespace gdmount::emulator {
namespace fs = std::filesystem;

namespace {

Status WriteAll(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t r = ::write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      return IoError(std::string("journal write: ") + std::strerror(errno));
    p += r;
    n -= static_cast<size_t>(r);
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "blobs", ec);
  if (ec)
    return IoError("cannot create state dir " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  std::unique_ptr<Journal> j(new Journal());
  j->persistent_ = true;
  j->dir_ = dir;
  j->blob_dir_ = (fs::path(dir) / "blobs").string();
  std::string path = (fs::path(dir) / "journal.jsonl").string();
  j->fd_ =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (j->fd_ < 0)
    return IoError("cannot open " + path + ": " + std::strerror(errno));
  return j;
}

Result<std::unique_ptr<Journal>> Journal::Ephemeral() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/gdmount-emulator-XXXXXX";
  if (!::mkdtemp(tmpl.data()))
    return IoError("mkdtemp " + tmpl + ": " + std::strerror(errno));
  std::unique_ptr<Journal> j(new Journal());
  j->dir_ = tmpl;
  j->blob_dir_ = tmpl;
  return j;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
  if (!persistent_ && !dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string Journal::NewBlobPath() {
  std::lock_guard<std::mutex> lock(mu_);
  char seq[32];
  std::snprintf(seq, sizeof seq, "b%06llu-",
                static_cast<unsigned long long>(++blob_counter_));
  return blob_dir_ + "/" + seq + RandomUrlSafe(16);
}

void Journal::Append(const nlohmann::json& record) {
  if (!persistent_) return;
  std::string line =
      record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = WriteAll(fd_, line); !s.ok())
    std::fprintf(stderr, "gdmount-emulator: %s\n", s.ToString().c_str());
}

Status Journal::Replay(
    const std::function<void(const nlohmann::json&)>& fn) const {
  if (!persistent_) return Status();
  std::ifstream in(fs::path(dir_) / "journal.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto rec = nlohmann::json::parse(line, nullptr, false);
    if (rec.is_discarded() || !rec.is_object()) continue;  // torn tail
    fn(rec);
  }
  return Status();
}

Status Journal::Compact(const std::vector<nlohmann::json>& records) {
  if (!persistent_) return Status();
  std::string path = (fs::path(dir_) / "journal.jsonl").string();
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write " + tmp);
  std::string all;
  for (const auto& r : records)
    all +=
        r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  Status s = WriteAll(fd, all);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("fsync " + tmp);
  ::close(fd);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("rename " + tmp);
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  return Status();
}

}  // namespace gdmount::emulator
