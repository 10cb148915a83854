#include "tests/emulator/blob.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace gdmount::emulator {
namespace {

constexpr size_t kSyntheticBlock = 64 * 1024;  // bytes per (seed, block) slice
constexpr size_t kTableSize = 1 << 20;         // random source table
constexpr size_t kHashBuffer = 1 << 20;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

const std::vector<unsigned char>& Table() {
  static const std::vector<unsigned char> table = [] {
    std::vector<unsigned char> t(kTableSize + kSyntheticBlock);
    uint64_t state = 0x6764'6d6f'756e'7421ull;  // fixed: content is stable
    for (size_t i = 0; i < t.size(); i += 8) {
      state = SplitMix64(state);
      std::memcpy(&t[i], &state, 8);
    }
    return t;
  }();
  return table;
}

std::string Hex(const unsigned char* p, unsigned n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

Status ErrnoStatus(const std::string& what) {
  return IoError(what + ": " + std::strerror(errno));
}

// The digest implementations, fetched once: with OpenSSL 3, initializing a
// context from EVP_md5() and friends looks the implementation up again every
// time, a large part of hashing a small file (a listing hashes every file it
// shows for the first time). Never freed: used until exit.
const std::array<EVP_MD*, 3>& Digesters() {
  static const std::array<EVP_MD*, 3> mds = {
      EVP_MD_fetch(nullptr, "MD5", nullptr),
      EVP_MD_fetch(nullptr, "SHA1", nullptr),
      EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  return mds;
}

// md5 + sha1 + sha256 in one pass.
struct MultiHasher {
  std::array<EVP_MD_CTX*, 3> ctx{};
  MultiHasher() {
    const std::array<EVP_MD*, 3>& mds = Digesters();
    for (int i = 0; i < 3; ++i) {
      ctx[i] = EVP_MD_CTX_new();
      EVP_DigestInit_ex(ctx[i], mds[i], nullptr);
    }
  }
  ~MultiHasher() {
    for (auto* c : ctx) EVP_MD_CTX_free(c);
  }
  void Update(const void* p, size_t n) {
    for (auto* c : ctx) EVP_DigestUpdate(c, p, n);
  }
  Digests Final() {
    std::string out[3];
    for (int i = 0; i < 3; ++i) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned len = 0;
      EVP_DigestFinal_ex(ctx[i], md, &len);
      out[i] = Hex(md, len);
    }
    return Digests{out[0], out[1], out[2]};
  }
};

}  // namespace

struct BlobWriter::Hashers : MultiHasher {};

const Digests& Blob::digests() const {
  std::call_once(once_, [this] {
    if (digests_.md5.empty()) digests_ = ComputeDigests(*this);
  });
  return digests_;
}

void Blob::set_digests(Digests d) const { digests_ = std::move(d); }

Status InlineBlob::ReadAt(int64_t offset, char* buf, size_t n) const {
  if (offset < 0 || offset + static_cast<int64_t>(n) > size())
    return InvalidArgumentError("read past end of inline blob");
  std::memcpy(buf, bytes_.data() + offset, n);
  return Status();
}

Status SyntheticBlob::ReadAt(int64_t offset, char* buf, size_t n) const {
  if (offset < 0 || offset + static_cast<int64_t>(n) > size_)
    return InvalidArgumentError("read past end of synthetic blob");
  const auto& table = Table();
  while (n > 0) {
    uint64_t block = static_cast<uint64_t>(offset) / kSyntheticBlock;
    size_t in_block = static_cast<uint64_t>(offset) % kSyntheticBlock;
    size_t take = std::min(n, kSyntheticBlock - in_block);
    uint64_t key = SplitMix64(seed_ * 0x100000001B3ull ^ SplitMix64(block));
    size_t start = key % kTableSize;
    const unsigned char* src = table.data() + start + in_block;
    // XOR a per-block byte, eight bytes at a time (this loop is the
    // emulator's media hot path: >= 1 GiB/s per stream).
    uint64_t x8 = (key >> 56) * 0x0101010101010101ull;
    size_t i = 0;
    for (; i + 8 <= take; i += 8) {
      uint64_t w;
      std::memcpy(&w, src + i, 8);
      w ^= x8;
      std::memcpy(buf + i, &w, 8);
    }
    for (; i < take; ++i) buf[i] = static_cast<char>(src[i] ^ (x8 & 0xff));
    buf += take;
    offset += take;
    n -= take;
  }
  return Status();
}

FileBlob::FileBlob(std::string path, int64_t size, bool keep_file)
    : path_(std::move(path)), size_(size), keep_file_(keep_file) {}

FileBlob::~FileBlob() {
  if (!keep_file_) ::unlink(path_.c_str());
}

// Opened for each read, not held: Drive keeps every revision and trashed
// file, so a long run holds tens of thousands of blobs, and one descriptor
// each ran the emulator out of them (a one-hour soak). The file stays until
// the last reference goes, so the path is as good as a descriptor.
Status FileBlob::ReadAt(int64_t offset, char* buf, size_t n) const {
  if (offset < 0 || offset + static_cast<int64_t>(n) > size_)
    return InvalidArgumentError("read past end of blob");
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("blob file missing: " + path_);
  Status s;
  while (n > 0) {
    ssize_t r = ::pread(fd, buf, n, offset);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      s = ErrnoStatus("pread " + path_);
      break;
    }
    if (r == 0) {
      s = IoError("blob file shorter than recorded: " + path_);
      break;
    }
    buf += r;
    offset += r;
    n -= static_cast<size_t>(r);
  }
  ::close(fd);
  return s;
}

Digests ComputeDigests(const Blob& blob) {
  // Listing a folder hashes each file it shows for the first time, so small
  // files must be cheap: empty ones (common in generated trees) share one
  // result, and the buffer is no larger than the blob (a 1 MiB buffer per
  // file dominated such a listing).
  if (blob.size() == 0) {
    static const Digests kEmpty = MultiHasher().Final();
    return kEmpty;
  }
  MultiHasher hasher;
  std::vector<char> buf(std::min<int64_t>(kHashBuffer, blob.size()));
  for (int64_t off = 0; off < blob.size();) {
    size_t n = std::min<int64_t>(buf.size(), blob.size() - off);
    if (!blob.ReadAt(off, buf.data(), n).ok()) break;
    hasher.Update(buf.data(), n);
    off += n;
  }
  return hasher.Final();
}

Result<std::unique_ptr<BlobWriter>> BlobWriter::Open(const std::string& path,
                                                     bool resume) {
  std::unique_ptr<BlobWriter> w(new BlobWriter());
  w->path_ = path;
  int flags = O_RDWR | O_CLOEXEC | O_CREAT | (resume ? 0 : O_TRUNC);
  w->fd_ = ::open(path.c_str(), flags, 0600);
  if (w->fd_ < 0) return ErrnoStatus("open " + path);
  w->hash_ = std::make_unique<Hashers>();
  if (resume) {  // re-hash what an earlier process already stored
    std::vector<char> buf(kHashBuffer);
    for (;;) {
      ssize_t r = ::read(w->fd_, buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus("read " + path);
      if (r == 0) break;
      w->hash_->Update(buf.data(), r);
      w->size_ += r;
    }
  }
  return w;
}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status BlobWriter::Append(const char* data, size_t n) {
  hash_->Update(data, n);
  while (n > 0) {
    ssize_t r = ::write(fd_, data, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("write " + path_);
    data += r;
    n -= static_cast<size_t>(r);
    size_ += r;
  }
  return Status();
}

Status BlobWriter::MoveTo(const std::string& new_path) {
  if (::rename(path_.c_str(), new_path.c_str()) != 0)
    return ErrnoStatus("rename " + path_);
  path_ = new_path;
  return Status();
}

Result<std::shared_ptr<const Blob>> BlobWriter::Finish(bool keep_file) {
  Digests d = hash_->Final();
  ::close(fd_);
  fd_ = -1;
  auto blob = std::make_shared<FileBlob>(path_, size_, keep_file);
  blob->set_digests(std::move(d));
  return std::shared_ptr<const Blob>(std::move(blob));
}

}  // namespace gdmount::emulator
