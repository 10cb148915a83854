// DriveClientImpl: the DriveClient over HttpTransport (Drive v3 REST).
//
// Design note. Every call goes through Execute(), one loop that
//   1. takes a pacer token (global rate limit),
//   2. gets the Authorization header from the TokenSource,
//   3. sends, and maps HTTP + errors[0].reason to a Status (errors.h),
//   4. on 401 invalidates the token and retries once at once,
//   5. on a transient failure (IsTransient) waits BackoffPolicy's delay and
//      retries, while the call has attempts left and the RetryBudget allows.
// Retrying blindly is safe because every call is idempotent: reads and
// deletes by nature, creates and copies because they carry an id from
// files.generateIds (a replay answers 409 and the client fetches the file),
// resumable chunks because the loop asks the server for its offset first.
// Upload methods live in upload.cc.
//
// Thread safety: thread-safe; share one instance between all threads.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drive/pacer.h"
#include "drive/retry.h"
#include "gdmount/clock.h"
#include "gdmount/drive_client.h"
#include "gdmount/random.h"
#include "gdmount/token_source.h"

namespace gdmount::drive {

struct DriveEndpoints {
  // Roots: the client appends /drive/v3/... and /upload/drive/v3/...
  std::string api_root = "https://www.googleapis.com";
  std::string upload_root = "https://www.googleapis.com";
};

struct DriveClientOptions {
  DriveEndpoints endpoints;
  RetryOptions retry;
  PacerOptions pacer;
  // Uploads at or below this size are one multipart request (Google's
  // guideline boundary is 5 MB).
  int64_t multipart_threshold = 5 << 20;
  // Resumable chunk size: a multiple of 256 KiB (Drive requires it).
  int64_t chunk_size = 8 << 20;
  // Deadline of one metadata request; media transfers have none (the
  // transport's low-speed limit cuts stalls instead).
  std::chrono::milliseconds metadata_timeout{60000};
  int id_batch = 100;  // ids fetched per files.generateIds call
};

// Returns InvalidArgument when an option is out of range (e.g. a chunk size
// that is not a positive multiple of 256 KiB).
Status ValidateOptions(const DriveClientOptions& options);

// Counters of one kind of call ("files.list", "upload.chunk", ...).
struct CallKindStats {
  uint64_t calls = 0;
  uint64_t retries = 0;
  uint64_t rate_limited = 0;
  uint64_t failures = 0;
};

struct ClientStats {
  uint64_t calls = 0;     // logical calls
  uint64_t requests = 0;  // HTTP requests, retries included
  uint64_t retries = 0;
  uint64_t rate_limited = 0;     // 429 / 403 rate-limit answers
  uint64_t token_refreshes = 0;  // 401s answered by a refresh
  uint64_t failures = 0;         // calls that returned an error
  std::map<std::string, CallKindStats> by_kind;
};

class DriveClientImpl : public DriveClient {
 public:
  // The pointers must outlive the client. REQUIRES: ValidateOptions ok.
  DriveClientImpl(DriveClientOptions options, HttpTransport* transport,
                  TokenSource* tokens, Clock* clock, RandomSource* random);

  Result<About> GetAbout() override;
  Result<DriveFile> GetFile(const std::string& id) override;
  Result<FileListPage> ListPage(const ListQuery& query,
                                const std::string& page_token) override;
  Status ListEach(const ListQuery& query, const ListSink& sink) override;
  Result<std::vector<SharedDrive>> ListDrives() override;
  Result<int64_t> Download(const std::string& id, int64_t offset,
                           std::optional<int64_t> length,
                           BodySink& sink) override;
  Result<int64_t> Export(const std::string& id, const std::string& mime_type,
                         BodySink& sink) override;
  Result<std::string> GenerateId() override { return NextId(); }
  Result<DriveFile> Create(const FileMetadata& metadata) override;
  Result<DriveFile> Upload(
      const std::string& file_id, const FileMetadata& metadata,
      const ContentSource& content,
      std::function<void(const UploadProgress&)> progress) override;
  Result<std::string> StartResumable(const std::string& file_id,
                                     const FileMetadata& metadata,
                                     int64_t size) override;
  Result<DriveFile> ResumeUpload(
      const std::string& session_uri, const ContentSource& content,
      std::function<void(const UploadProgress&)> progress) override;
  Result<UploadProgress> QueryUpload(const std::string& session_uri,
                                     int64_t size) override;
  Result<DriveFile> Update(const std::string& id, const FileMetadata& patch,
                           const std::string& add_parent,
                           const std::string& remove_parent) override;
  Status Delete(const std::string& id) override;
  Result<DriveFile> Copy(const std::string& id,
                         const FileMetadata& metadata) override;
  Result<std::string> GetStartPageToken(const std::string& drive_id) override;
  Result<ChangePage> ListChanges(const std::string& page_token, int page_size,
                                 const std::string& drive_id) override;

  ClientStats stats() const;

 private:
  struct Call {
    std::string name;  // "files.get": logs and stats
    std::string method = "GET";
    std::string url;
    HttpHeaders headers;
    std::string body;
    BodySink* sink = nullptr;
    bool media = false;    // no deadline, follow redirects
    int max_attempts = 0;  // 0: options_.retry.max_attempts
    // Non-2xx statuses returned as responses instead of errors (308 for
    // resumable uploads, 416 for ranges past the end).
    std::vector<int> accept;
    // Called before each retry (not before the first attempt); a non-OK
    // Status ends the call with it. Downloads use it to resume the range.
    std::function<Status(Call&)> before_retry;
  };
  // One files.list page's response text.
  Result<std::string> ListPageText(const ListQuery& query,
                                   const std::string& page_token);
  // One pass of ListEach; *failed_token is the page token of a failed
  // request ("" for the first page).
  Status ListEachOnce(const ListQuery& query, const ListSink& sink,
                      std::string* failed_token);
  // The loop described in the file comment.
  Result<HttpResponse> Execute(Call call);
  // One attempt: pacing, token, send, status mapping.
  Result<HttpResponse> Attempt(const Call& call, std::string* auth_used);

  std::string ApiUrl(
      const std::string& path,
      std::vector<std::pair<std::string, std::string>> params) const;
  std::string UploadUrl(
      const std::string& path,
      std::vector<std::pair<std::string, std::string>> params) const;
  // An id for a create/copy, from a batch fetched with files.generateIds.
  Result<std::string> NextId();
  // POSTs `metadata` (with a pre-generated id) to `path`: create and copy.
  Result<DriveFile> CreateWithId(const std::string& name,
                                 const std::string& path,
                                 const FileMetadata& metadata);
  // Returns the file `id` when a replayed create answered 409 duplicate.
  Result<DriveFile> CreatedBefore(const std::string& id, const Status& s);
  Result<DriveFile> UploadMultipart(
      const std::string& file_id, const FileMetadata& metadata,
      const ContentSource& content,
      const std::function<void(const UploadProgress&)>& progress);
  Result<HttpResponse> SendChunk(const std::string& session_uri,
                                 const ContentSource& content, int64_t offset,
                                 int64_t size);

  const DriveClientOptions options_;
  HttpTransport* transport_;
  TokenSource* tokens_;
  Clock* clock_;
  RandomSource* random_;
  Pacer pacer_;
  BackoffPolicy backoff_;
  RetryBudget budget_;

  std::mutex ids_mu_;
  std::deque<std::string> ids_;  // GUARDED_BY(ids_mu_)

  std::atomic<uint64_t> calls_{0}, requests_{0}, retries_{0}, rate_limited_{0},
      token_refreshes_{0}, failures_{0};
  // One more of `field` for calls named `kind`.
  void CountKind(const std::string& kind, uint64_t CallKindStats::*field);
  mutable std::mutex kinds_mu_;
  std::map<std::string, CallKindStats> kinds_;  // GUARDED_BY(kinds_mu_)
};

}  // namespace gdmount::drive
