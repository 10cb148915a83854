// Journal: where a persistent emulator (--state DIR) keeps its state.
//
// An append-only file of JSON lines (DIR/journal.jsonl), one line per
// mutation, written with a single write(2) so a killed emulator leaves at
// most a torn last line, which Replay() ignores. Clean shutdown compacts it
// to one line per live object. Content blobs live in DIR/blobs/ and are named
// in the lines. Without --state the journal is ephemeral: nothing is written,
// and blobs go to a private temporary directory that is removed at exit.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::emulator {

class Journal {
 public:
  // Persistent journal in `dir` (created 0700 if missing).
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir);
  // Ephemeral: blobs in a new temporary directory under $TMPDIR.
  static Result<std::unique_ptr<Journal>> Ephemeral();
  ~Journal();

  bool persistent() const { return persistent_; }
  const std::string& blob_dir() const { return blob_dir_; }
  // A fresh, unused path in the blob directory.
  std::string NewBlobPath();

  void Append(const nlohmann::json& record);
  // Calls fn for each intact line, in order.
  Status Replay(const std::function<void(const nlohmann::json&)>& fn) const;
  // Atomically replaces the journal with `records`.
  Status Compact(const std::vector<nlohmann::json>& records);

 private:
  Journal() = default;
  bool persistent_ = false;
  std::string dir_;
  std::string blob_dir_;
  std::mutex mu_;
  int fd_ = -1;  // GUARDED_BY(mu_)
  uint64_t blob_counter_ = 0;
};

}  // namespace gdmount::emulator
