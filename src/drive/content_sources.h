// ContentSources for uploads: bytes in memory, or a local file (staging
// files in the write-back cache).
#pragma once

#include <memory>
#include <string>

#include "gdmount/drive_client.h"

namespace gdmount::drive {

// Borrows `data`, which must outlive the source.
class StringContentSource : public ContentSource {
 public:
  explicit StringContentSource(const std::string& data) : data_(data) {}
  // A temporary would dangle.
  explicit StringContentSource(std::string&&) = delete;
  int64_t size() const override { return static_cast<int64_t>(data_.size()); }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override;

 private:
  const std::string& data_;
};

// A file opened read-only; its size is taken when opened.
class FileContentSource : public ContentSource {
 public:
  // Errors: NotFound, PermissionDenied, Io.
  static Result<std::unique_ptr<FileContentSource>> Open(
      const std::string& path);
  ~FileContentSource() override;
  int64_t size() const override { return size_; }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override;

 private:
  FileContentSource(int fd, int64_t size) : fd_(fd), size_(size) {}
  int fd_;
  int64_t size_;
};

}  // namespace gdmount::drive
