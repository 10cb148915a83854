// CacheFile: one sparse local file holding a Drive file's cached bytes at
// their own offsets, plus the few POSIX helpers the content cache needs
// (atomic small-file replace, whole-file read). Everything is created 0600.
//
// All I/O is positional (pread/pwrite/fallocate), so one CacheFile may be
// used by many threads at once without a lock. Errors are Io with the
// operation and strerror in the message; nothing here throws.
#pragma once

#include <cstdint>
#include <string>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::cache {

// Io error "<what>: <strerror(err)>".
Status ErrnoError(const std::string& what, int err);

class CacheFile {
 public:
  // Creates `path`, which must not exist (O_EXCL: a file another CacheFile
  // may still be using is never reused), as a sparse file of `size` zero
  // bytes. Io on failure.
  static Result<CacheFile> Create(const std::string& path, int64_t size);
  // Opens an existing file read-write. Corruption if its size is not
  // `expected_size`; NotFound if it does not exist; Io otherwise.
  static Result<CacheFile> OpenExisting(const std::string& path,
                                        int64_t expected_size);

  CacheFile(CacheFile&& other) noexcept;
  CacheFile& operator=(CacheFile&& other) noexcept;
  CacheFile(const CacheFile&) = delete;
  CacheFile& operator=(const CacheFile&) = delete;
  ~CacheFile();

  // Exactly `n` bytes at `offset`; a short read (file shorter) is Io.
  Status ReadAt(int64_t offset, char* buf, size_t n) const;
  // Exactly `n` bytes at `offset`. Io on failure (e.g. disk full).
  Status WriteAt(int64_t offset, const char* buf, size_t n) const;
  // Frees the disk blocks of [offset, offset+length) without changing the
  // file size; the range then reads as zeros. Io (e.g. EOPNOTSUPP) when the
  // file system cannot punch holes.
  Status PunchHole(int64_t offset, int64_t length) const;
  // Lower-case hex MD5 of the first `size` bytes.
  Result<std::string> Md5Hex(int64_t size) const;

 private:
  explicit CacheFile(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Writes `contents` to a new file `tmp_path` (created 0600 with O_EXCL, so
// two writers never share one). The file is removed again on failure. No
// fsync: the content cache tolerates losing its newest map state on power
// loss (see content_cache.h). Io on failure.
Status WriteNewFile(const std::string& tmp_path, const std::string& contents);
// rename(2): atomically replaces `to`. Io on failure.
Status RenameFile(const std::string& from, const std::string& to);

// Reads a whole file of at most `max_bytes`. NotFound, Io, or Corruption
// when the file is larger than `max_bytes`.
Result<std::string> ReadWholeFile(const std::string& path, int64_t max_bytes);

// unlink(2) that treats "already gone" as success. Io otherwise.
Status RemoveFile(const std::string& path);

}  // namespace gdmount::cache
