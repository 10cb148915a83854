#include "cache/cache_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "util/encoding.h"

namespace gdmount::cache {
namespace {

// Buffer for hashing a whole cache file: large enough for sequential disk
// throughput, small enough to allocate per verification.
constexpr size_t kHashBufferBytes = 1 << 20;

Status CorruptionError(std::string m) {
  return Status(StatusCode::kCorruption, std::move(m));
}

}  // namespace

Status ErrnoError(const std::string& what, int err) {
  return IoError(what + ": " + strerror(err));
}

Result<CacheFile> CacheFile::Create(const std::string& path, int64_t size) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("create cache file", errno);
  CacheFile file(fd);
  if (ftruncate(fd, size) != 0) return ErrnoError("size cache file", errno);
  return file;
}

Result<CacheFile> CacheFile::OpenExisting(const std::string& path,
                                          int64_t expected_size) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("cache file missing");
    return ErrnoError("open cache file", errno);
  }
  CacheFile file(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError("stat cache file", errno);
  if (st.st_size != expected_size) {
    return CorruptionError("cache file has size " + std::to_string(st.st_size) +
                           ", expected " + std::to_string(expected_size));
  }
  return file;
}

CacheFile::CacheFile(CacheFile&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

CacheFile& CacheFile::operator=(CacheFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

CacheFile::~CacheFile() {
  if (fd_ >= 0) close(fd_);
}

Status CacheFile::ReadAt(int64_t offset, char* buf, size_t n) const {
  while (n > 0) {
    ssize_t got = pread(fd_, buf, n, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError("read cache file", errno);
    if (got == 0) return IoError("read cache file: unexpected end of file");
    buf += got;
    offset += got;
    n -= static_cast<size_t>(got);
  }
  return Status::Ok();
}

Status CacheFile::WriteAt(int64_t offset, const char* buf, size_t n) const {
  while (n > 0) {
    ssize_t put = pwrite(fd_, buf, n, offset);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return ErrnoError("write cache file", errno);
    buf += put;
    offset += put;
    n -= static_cast<size_t>(put);
  }
  return Status::Ok();
}

Status CacheFile::PunchHole(int64_t offset, int64_t length) const {
  if (length <= 0) return Status::Ok();
  if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                length) != 0) {
    return ErrnoError("punch hole in cache file", errno);
  }
  return Status::Ok();
}

Result<std::string> CacheFile::Md5Hex(int64_t size) const {
  util::Md5Hasher hasher;
  std::vector<char> buf(kHashBufferBytes);
  for (int64_t offset = 0; offset < size;) {
    size_t n = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(buf.size()), size - offset));
    Status s = ReadAt(offset, buf.data(), n);
    if (!s.ok()) return s;
    hasher.Update(buf.data(), n);
    offset += static_cast<int64_t>(n);
  }
  return hasher.FinishHex();
}

Status WriteNewFile(const std::string& tmp_path, const std::string& contents) {
  int fd =
      open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("create " + tmp_path, errno);
  const char* p = contents.data();
  size_t left = contents.size();
  Status status;
  while (left > 0) {
    ssize_t put = write(fd, p, left);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      status = ErrnoError("write " + tmp_path, errno);
      break;
    }
    p += put;
    left -= static_cast<size_t>(put);
  }
  if (close(fd) != 0 && status.ok()) {
    status = ErrnoError("close " + tmp_path, errno);
  }
  if (!status.ok()) unlink(tmp_path.c_str());
  return status;
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError("rename cache map", errno);
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path, int64_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("file missing");
    return ErrnoError("open " + path, errno);
  }
  std::string out;
  char buf[64 * 1024];
  Status status;
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      status = ErrnoError("read " + path, errno);
      break;
    }
    if (got == 0) break;
    out.append(buf, static_cast<size_t>(got));
    if (static_cast<int64_t>(out.size()) > max_bytes) {
      status = CorruptionError(path + " is larger than expected");
      break;
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return out;
}

Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("remove " + path, errno);
  }
  return Status::Ok();
}

}  // namespace gdmount::cache
