// ListingWriter: stores a folder listing in the metadata store while the
// listing is still arriving.
//
// Design note. Listing a 100,000-entry folder is a chain of 100 files.list
// pages that cannot be fetched in parallel (each needs the previous one's
// token); decoding a page and storing it cost about as much CPU as the
// request takes. The client already fetches page N+1 while page N is
// decoded; this writer takes storing off that thread too: pages are
// gathered into batches of `batch_size` entries and committed by a thread of
// its own, at most two batches waiting, so memory stays bounded. Batches,
// not pages, because every SQLite commit rewrites each B-tree page it
// touched and random Drive ids touch most of them: committing each
// 1000-entry page cost about 3x more than committing every 8.
//
// The writer also keeps the entries as stored (with their inode numbers),
// so the folder's view is built from them instead of reading 100,000 rows
// back (~0.8 s).
//
// Use: Add() every page (the ListSink contract: from_start restarts), then
// Finish() once, then TakeEntries(). Finish() (or destruction) waits for the
// thread; the first store error is returned by the next Add() or by Finish(),
// and nothing more is stored after it.
//
// Thread safety: Add and Finish from one thread (the listing's).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gdmount/drive_types.h"
#include "gdmount/status.h"
#include "meta/metadata_store.h"

namespace gdmount::vfs {

class ListingWriter {
 public:
  static constexpr size_t kDefaultBatch = 8192;

  // `store` must outlive the writer. Construct it just before the listing
  // is fetched.
  ListingWriter(meta::MetadataStore* store, std::string parent_id,
                size_t batch_size = kDefaultBatch);
  ~ListingWriter();  // waits for the thread; stores nothing more
  ListingWriter(const ListingWriter&) = delete;
  ListingWriter& operator=(const ListingWriter&) = delete;

  // One page of the listing. May block while two batches wait.
  Status Add(std::vector<drive::DriveFile> files, bool from_start);
  // Stores what is left, waits for every batch, then records the listing
  // complete as of `fetched_ms` (MetadataStore::FinishListing).
  Status Finish(int64_t fetched_ms);

  size_t listed() const { return listed_.size(); }
  // After a successful Finish: the listing's untrashed entries as stored,
  // one per id (a restarted listing's abandoned pass left out).
  std::vector<meta::Entry> TakeEntries();

 private:
  void Enqueue(std::vector<drive::DriveFile> batch);
  void Run();
  Status Drain();  // waits until the queue is empty and the thread idle

  meta::MetadataStore* const store_;
  const std::string parent_id_;
  // Taken when the listing begins: items removed here later stay removed,
  // items moved in here later stay.
  const meta::ChangeRead change_read_;
  const size_t batch_size_;
  std::vector<std::string> listed_;        // every id Added, in order
  std::vector<drive::DriveFile> pending_;  // the batch being gathered

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<drive::DriveFile>> queue_;  // GUARDED_BY(mu_)
  bool busy_ = false;                                // GUARDED_BY(mu_)
  bool stop_ = false;                                // GUARDED_BY(mu_)
  Status error_;                                     // GUARDED_BY(mu_)
  std::vector<meta::Entry> entries_;                 // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace gdmount::vfs
