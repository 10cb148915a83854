#include "drive/content_sources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace gdmount::drive {

Status StringContentSource::ReadAt(int64_t offset, char* buf, size_t n) const {
  if (offset < 0 || static_cast<uint64_t>(offset) + n > data_.size())
    return InvalidArgumentError("read past the end of the upload content");
  std::memcpy(buf, data_.data() + offset, n);
  return Status::Ok();
}

Result<std::unique_ptr<FileContentSource>> FileContentSource::Open(
    const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    std::string msg = path + ": " + std::strerror(e);
    if (e == ENOENT) return NotFoundError(msg);
    if (e == EACCES) return Status(StatusCode::kPermissionDenied, msg);
    return IoError(msg);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return IoError(path + ": fstat failed");
  }
  return std::unique_ptr<FileContentSource>(
      new FileContentSource(fd, st.st_size));
}

FileContentSource::~FileContentSource() { ::close(fd_); }

Status FileContentSource::ReadAt(int64_t offset, char* buf, size_t n) const {
  size_t done = 0;
  while (done < n) {
    ssize_t r =
        ::pread(fd_, buf + done, n - done, offset + static_cast<int64_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return IoError(std::string("pread: ") + std::strerror(errno));
    if (r == 0) return IoError("upload source file shrank while uploading");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace gdmount::drive
