// FakeDrive: a DriveClient that serves Download() from in-memory byte
// strings, for ContentCache tests. It counts downloads and the ranges
// asked for, and can fail them, corrupt them (wrong bytes), truncate them
// (the file is shorter than its metadata says), hold them at a gate so a
// test can see how many run at once, or pause them part-way through. Every
// other method is NotSupported.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gdmount/drive_client.h"

namespace gdmount::cache::testing {

class FakeDrive : public drive::DriveClient {
 public:
  // Bytes are handed to the sink in pieces of this size, so a chunk's
  // download arrives in several Write calls as it does over HTTP.
  static constexpr size_t kPiece = 1000;

  void Put(const std::string& id, std::string bytes) {
    std::lock_guard<std::mutex> l(mu_);
    files_[id] = std::move(bytes);
  }
  // The next `n` downloads of `id` deliver one wrong byte.
  void CorruptNext(const std::string& id, int n = 1) {
    std::lock_guard<std::mutex> l(mu_);
    corrupt_[id] = n;
  }
  // Downloads of `id` see only its first `length` bytes.
  void Truncate(const std::string& id, int64_t length) {
    std::lock_guard<std::mutex> l(mu_);
    truncate_[id] = length;
  }
  // The next `n` downloads fail with `status`.
  void FailNext(Status status, int n = 1) {
    std::lock_guard<std::mutex> l(mu_);
    fail_status_ = std::move(status);
    fail_count_ = n;
  }
  // While the gate is closed, downloads wait (already counted) at it.
  void CloseGate() {
    std::lock_guard<std::mutex> l(mu_);
    gate_open_ = false;
  }
  void OpenGate() {
    std::lock_guard<std::mutex> l(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }
  // True once `n` downloads are in flight at the same time (5 s limit).
  bool WaitForInFlight(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(5),
                        [&] { return in_flight_ >= n; });
  }

  // Downloads deliver their first `n` bytes, then stop until Resume() (a
  // transfer caught mid-way). Counted by WaitForPaused.
  void PauseAfter(int64_t n) {
    std::lock_guard<std::mutex> l(mu_);
    pause_after_ = n;
  }
  void Resume() {
    std::lock_guard<std::mutex> l(mu_);
    pause_after_ = -1;
    cv_.notify_all();
  }
  // True once `n` downloads are held by PauseAfter (5 s limit).
  bool WaitForPaused(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(5),
                        [&] { return paused_ >= n; });
  }

  int downloads() const {
    std::lock_guard<std::mutex> l(mu_);
    return downloads_;
  }
  int max_in_flight() const {
    std::lock_guard<std::mutex> l(mu_);
    return max_in_flight_;
  }
  // (offset, length) of every download, in arrival order.
  std::vector<std::pair<int64_t, int64_t>> ranges() const {
    std::lock_guard<std::mutex> l(mu_);
    return ranges_;
  }

  Result<int64_t> Download(const std::string& id, int64_t offset,
                           std::optional<int64_t> length,
                           BodySink& sink) override {
    std::string bytes;
    {
      std::unique_lock<std::mutex> l(mu_);
      ++downloads_;
      ranges_.emplace_back(offset, length.value_or(-1));
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      cv_.notify_all();
      cv_.wait(l, [&] { return gate_open_; });
      --in_flight_;
      if (fail_count_ > 0) {
        --fail_count_;
        return fail_status_;
      }
      auto it = files_.find(id);
      if (it == files_.end()) return NotFoundError("File not found: " + id);
      bytes = it->second;
      if (truncate_.count(id) > 0) bytes.resize(truncate_[id]);
      if (offset >= static_cast<int64_t>(bytes.size())) return int64_t{0};
      bytes = bytes.substr(offset, length ? *length : std::string::npos);
      if (corrupt_[id] > 0 && !bytes.empty()) {
        --corrupt_[id];
        bytes[bytes.size() / 2] ^= 0x5a;
      }
    }
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
      HoldIfPaused(static_cast<int64_t>(at));
      size_t n = std::min(kPiece, bytes.size() - at);
      Status s = sink.Write(bytes.data() + at, n);
      if (!s.ok()) return s;
    }
    return static_cast<int64_t>(bytes.size());
  }

  // --- not used by the cache ---
  Result<drive::About> GetAbout() override { return No(); }
  Result<drive::DriveFile> GetFile(const std::string&) override { return No(); }
  Result<drive::FileListPage> ListPage(const drive::ListQuery&,
                                       const std::string&) override {
    return No();
  }
  Status ListEach(const drive::ListQuery&, const ListSink&) override {
    return No();
  }
  Result<std::vector<drive::SharedDrive>> ListDrives() override { return No(); }
  Result<int64_t> Export(const std::string&, const std::string&,
                         BodySink&) override {
    return No();
  }
  Result<std::string> GenerateId() override { return No(); }
  Result<drive::DriveFile> Create(const drive::FileMetadata&) override {
    return No();
  }
  Result<drive::DriveFile> Upload(
      const std::string&, const drive::FileMetadata&,
      const drive::ContentSource&,
      std::function<void(const drive::UploadProgress&)>) override {
    return No();
  }
  Result<std::string> StartResumable(const std::string&,
                                     const drive::FileMetadata&,
                                     int64_t) override {
    return No();
  }
  Result<drive::DriveFile> ResumeUpload(
      const std::string&, const drive::ContentSource&,
      std::function<void(const drive::UploadProgress&)>) override {
    return No();
  }
  Result<drive::UploadProgress> QueryUpload(const std::string&,
                                            int64_t) override {
    return No();
  }
  Result<drive::DriveFile> Update(const std::string&,
                                  const drive::FileMetadata&,
                                  const std::string&,
                                  const std::string&) override {
    return No();
  }
  Status Delete(const std::string&) override { return No(); }
  Result<drive::DriveFile> Copy(const std::string&,
                                const drive::FileMetadata&) override {
    return No();
  }
  Result<std::string> GetStartPageToken(const std::string&) override {
    return No();
  }
  Result<drive::ChangePage> ListChanges(const std::string&, int,
                                        const std::string&) override {
    return No();
  }

 private:
  void HoldIfPaused(int64_t delivered) {
    std::unique_lock<std::mutex> l(mu_);
    if (pause_after_ < 0 || delivered < pause_after_) return;
    ++paused_;
    cv_.notify_all();
    cv_.wait(l, [&] { return pause_after_ < 0; });
    --paused_;
  }

  static Status No() {
    return Status(StatusCode::kNotSupported, "FakeDrive: downloads only");
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> files_;
  std::map<std::string, int> corrupt_;
  std::map<std::string, int64_t> truncate_;
  Status fail_status_;
  int fail_count_ = 0;
  bool gate_open_ = true;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  int downloads_ = 0;
  int64_t pause_after_ = -1;
  int paused_ = 0;
  std::vector<std::pair<int64_t, int64_t>> ranges_;
};

}  // namespace gdmount::cache::testing
