// The Drive v3 seam: typed calls that every filesystem operation goes
// through. src/drive/ implements it over HttpTransport with retries,
// backoff, pacing and token refresh (DriveClientImpl); tests may substitute
// in-memory or failure-injecting clients.
//
// Every call sends supportsAllDrives=true and a narrow `fields` mask, and is
// retried inside the client when that is safe (see src/drive/retry.h):
// callers see one final Status.
//
// Status codes (src/drive/errors.h maps HTTP + errors[0].reason):
// NotFound, PermissionDenied, QuotaExceeded (storage full), RateLimited
// (retries exhausted), Unavailable (retries exhausted), Unauthenticated
// (sign in again), InvalidArgument, NotSupported, PreconditionFailed, Io.
//
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gdmount/drive_types.h"
#include "gdmount/http_transport.h"
#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::drive {

// What files.list should return. Build `q` with src/drive/query.h helpers.
struct ListQuery {
  std::string q;
  int page_size = 1000;
  std::string order_by;
  std::string drive_id;  // non-empty: corpora=drive for this shared drive
};

// Where upload bytes come from: a staging file or memory.
class ContentSource {
 public:
  virtual ~ContentSource() = default;
  virtual int64_t size() const = 0;
  // Reads exactly `n` bytes at `offset` (offset + n <= size()).
  virtual Status ReadAt(int64_t offset, char* buf, size_t n) const = 0;
};

// State of a resumable upload session as the server reports it.
struct UploadProgress {
  std::string session_uri;
  int64_t confirmed = 0;  // bytes the server has persisted
  // Set when Drive made a version of the file from the upload, reported
  // before this client compares Drive's md5 with the bytes it read: an
  // upload that then fails (kCorruption: the source changed or the bytes
  // were damaged on the way) has still made that version.
  std::optional<DriveFile> done;
};

class DriveClient {
 public:
  virtual ~DriveClient() = default;

  virtual Result<About> GetAbout() = 0;
  virtual Result<DriveFile> GetFile(const std::string& id) = 0;

  // One page. An empty page_token starts the listing.
  virtual Result<FileListPage> ListPage(const ListQuery& query,
                                        const std::string& page_token) = 0;
  // Receives a listing's files one page at a time, in order. `from_start`
  // is true for the first page, and again if a rejected page token made the
  // listing start over, so a sink that accumulates begins anew. An error
  // from the sink ends the listing with that error.
  using ListSink =
      std::function<Status(std::vector<DriveFile> files, bool from_start)>;
  // Every page, following nextPageToken until it is absent (never judged by
  // page length). A rejected page token restarts the listing once.
  // Implementations may fetch the next page while `sink` works on this one.
  virtual Status ListEach(const ListQuery& query, const ListSink& sink) = 0;
  // ListEach, collected.
  Result<std::vector<DriveFile>> ListAll(const ListQuery& query);
  // Every shared drive the account sees (drives.list, every page).
  virtual Result<std::vector<SharedDrive>> ListDrives() = 0;

  // Conveniences over ListEach, in pages of 1000:
  // Every non-trashed child of a folder (the listing the filesystem
  // stores). A non-empty `drive_id` (the folder's shared drive) lists that
  // drive's corpus, as Drive advises for shared-drive folders.
  Result<std::vector<DriveFile>> ListChildren(const std::string& folder_id,
                                              const std::string& drive_id = "");
  // The same listing, a page at a time.
  Status ListChildrenEach(const std::string& folder_id,
                          const std::string& drive_id, const ListSink& sink);
  // The untrashed children of a folder named exactly `name` (Drive allows
  // several).
  Result<std::vector<DriveFile>> ListNamed(const std::string& folder_id,
                                           const std::string& name,
                                           const std::string& drive_id = "");
  // Every child of a trashed folder (all of them are trashed).
  Result<std::vector<DriveFile>> ListTrashedChildren(
      const std::string& folder_id, const std::string& drive_id = "");
  // Every trashed item the user sees, explicitly or implicitly trashed.
  Result<std::vector<DriveFile>> ListTrashed();
  // Every untrashed item shared with the user ("Shared with me").
  Result<std::vector<DriveFile>> ListSharedWithMe();

  // Bytes [offset, offset+length) of a binary file into `sink` (length
  // nullopt: to the end). A transfer cut mid-way is resumed from the byte it
  // stopped at, so the sink sees every byte exactly once, in order.
  // Returns the number of bytes written; a range starting at or beyond the
  // end of the file (416) is 0 bytes, not an error.
  virtual Result<int64_t> Download(const std::string& id, int64_t offset,
                                   std::optional<int64_t> length,
                                   BodySink& sink) = 0;
  // Exports a Google-native file. NotSupported with Drive's message when
  // the export is over Drive's 10 MB limit or the type has no export.
  virtual Result<int64_t> Export(const std::string& id,
                                 const std::string& mime_type,
                                 BodySink& sink) = 0;

  // A new file id (files.generateIds, fetched in batches), for a file
  // that gets its id before Drive knows it (write-back creates).
  virtual Result<std::string> GenerateId() = 0;

  // Metadata-only create: folders, shortcuts, empty files. The client
  // pre-generates the id (unless metadata.id is set) so retries never
  // create duplicates.
  virtual Result<DriveFile> Create(const FileMetadata& metadata) = 0;
  Result<DriveFile> CreateFolder(const std::string& parent_id,
                                 const std::string& name);
  Result<DriveFile> CreateShortcut(const std::string& parent_id,
                                   const std::string& name,
                                   const std::string& target_id);

  // Creates (file_id empty) or updates a file with content: multipart at or
  // below the client's multipart threshold, resumable above it. Idempotent
  // as Create is. `progress` (optional) sees the session and every
  // confirmed offset of a resumable upload, so a caller can persist them,
  // and the version Drive made (UploadProgress::done; multipart too).
  virtual Result<DriveFile> Upload(
      const std::string& file_id, const FileMetadata& metadata,
      const ContentSource& content,
      std::function<void(const UploadProgress&)> progress = nullptr) = 0;

  // Resumable uploads step by step (the write-back journal persists the
  // session URI between them).
  virtual Result<std::string> StartResumable(const std::string& file_id,
                                             const FileMetadata& metadata,
                                             int64_t size) = 0;
  // Sends what the server lacks, from its confirmed offset, in chunks.
  // NotFound when the session is gone (expired or unknown): start again.
  virtual Result<DriveFile> ResumeUpload(
      const std::string& session_uri, const ContentSource& content,
      std::function<void(const UploadProgress&)> progress = nullptr) = 0;
  // Asks the server how far a session got.
  virtual Result<UploadProgress> QueryUpload(const std::string& session_uri,
                                             int64_t size) = 0;

  // Patch metadata; add/remove parents move the file.
  virtual Result<DriveFile> Update(const std::string& id,
                                   const FileMetadata& patch,
                                   const std::string& add_parent = "",
                                   const std::string& remove_parent = "") = 0;
  Result<DriveFile> Trash(const std::string& id);
  Result<DriveFile> Untrash(const std::string& id);
  // Permanent delete (skips the trash). Deleting an already deleted file
  // after a retried request counts as success.
  virtual Status Delete(const std::string& id) = 0;
  virtual Result<DriveFile> Copy(const std::string& id,
                                 const FileMetadata& metadata) = 0;

  virtual Result<std::string> GetStartPageToken(
      const std::string& drive_id = "") = 0;
  // One page of changes since `page_token`, with every field the store
  // keeps. A non-empty `drive_id` lists that shared drive's changes (for a
  // mounted shared drive); otherwise My Drive's and the user's shared
  // drives'. InvalidArgument / NotFound: Drive rejected the token.
  virtual Result<ChangePage> ListChanges(const std::string& page_token,
                                         int page_size = 1000,
                                         const std::string& drive_id = "") = 0;
};

}  // namespace gdmount::drive
