// Blobs: the bytes of the emulator's binary files.
//
// A Blob is immutable once built and shared by pointer between the store's
// records, in-flight downloads and the persistence journal, so a download keeps
// streaming the version it started with even if the file is replaced meanwhile
// (as Drive serves a revision). Three kinds:
//   - FileBlob: bytes in a file under the blob directory (uploads, seeds);
//     the file is removed when the last reference goes, unless persistent.
//   - SyntheticBlob: bytes computed from (seed, offset) for --generate trees,
//     so a 100,000-file or 1 TiB dataset costs no disk and no RAM.
//   - InlineBlob: bytes held in memory (tests).
// Digests (md5/sha1/sha256, hex) are computed once, on first use, unless the
// writer already computed them while the bytes streamed in.
// Thread-safe: all methods are const or internally synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "gdmount/result.h"

namespace gdmount::emulator {

struct Digests {
  std::string md5;
  std::string sha1;
  std::string sha256;
};

class Blob {
 public:
  virtual ~Blob() = default;
  virtual int64_t size() const = 0;
  // Copies bytes [offset, offset+n) into buf. REQUIRES: offset+n <= size().
  virtual Status ReadAt(int64_t offset, char* buf, size_t n) const = 0;
  // JSON-able description for the persistence journal.
  virtual std::string Kind() const = 0;

  const Digests& digests() const;
  void set_digests(Digests d) const;  // writer-computed; before sharing

 private:
  mutable std::once_flag once_;
  mutable Digests digests_;
};

class InlineBlob final : public Blob {
 public:
  explicit InlineBlob(std::string bytes) : bytes_(std::move(bytes)) {}
  int64_t size() const override { return bytes_.size(); }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override;
  std::string Kind() const override { return "inline"; }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Deterministic pseudo-random bytes: byte i of blob `seed` is a function of
// (seed, i) with no period shorter than the file, so a client that serves the
// wrong offset gets wrong bytes, not the same bytes by accident.
class SyntheticBlob final : public Blob {
 public:
  SyntheticBlob(uint64_t seed, int64_t size) : seed_(seed), size_(size) {}
  int64_t size() const override { return size_; }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override;
  std::string Kind() const override { return "synthetic"; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  int64_t size_;
};

class FileBlob final : public Blob {
 public:
  // Takes ownership of `path` (removed on destruction unless keep_file).
  FileBlob(std::string path, int64_t size, bool keep_file);
  ~FileBlob() override;
  int64_t size() const override { return size_; }
  Status ReadAt(int64_t offset, char* buf, size_t n) const override;
  std::string Kind() const override { return "file"; }
  const std::string& path() const { return path_; }
  // Called when the blob directory is persistent and this blob is no longer
  // referenced by any record: the file may go when the last reader is done.
  void set_keep_file(bool keep) const { keep_file_ = keep; }

 private:
  std::string path_;
  int64_t size_;
  mutable bool keep_file_;
};

// Streams bytes into a new file in the blob directory, hashing as it goes.
// Not thread-safe (one writer, one upload).
class BlobWriter {
 public:
  // Creates (or, with resume=true, reopens and re-hashes) `path`.
  static Result<std::unique_ptr<BlobWriter>> Open(const std::string& path,
                                                  bool resume);
  ~BlobWriter();
  Status Append(const char* data, size_t n);
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Renames the file being written (it keeps being written).
  Status MoveTo(const std::string& new_path);
  // Finishes hashing and hands the file over to a FileBlob.
  Result<std::shared_ptr<const Blob>> Finish(bool keep_file);

 private:
  BlobWriter() = default;
  struct Hashers;
  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
  std::unique_ptr<Hashers> hash_;
};

// Computes the digests of `blob` by reading it (used lazily).
Digests ComputeDigests(const Blob& blob);

}  // namespace gdmount::emulator
