// Uploads: multipart for small files, resumable sessions for large ones
// (protocol guide section 5). A resumable upload survives resets and 5xx
// mid-chunk by asking the server how far it got and continuing from there,
// and survives a lost session by starting a new one; the md5 Drive reports
// is checked against the bytes that were sent.
#include <cinttypes>
#include <cstdio>

#include "drive/drive_client_impl.h"
#include "drive/errors.h"
#include "drive/json_codec.h"
#include "gdmount/log.h"
#include "util/encoding.h"
#include "util/url.h"

namespace gdmount::drive {
namespace {

const char* kJsonContentType = "application/json; charset=UTF-8";
constexpr int kMaxSessionRestarts = 3;

// The server's persisted prefix from a 308's "Range: bytes=0-N" (none: 0).
Result<int64_t> ConfirmedFrom(const HttpResponse& r) {
  std::string range = r.Header("range");
  if (range.empty()) return int64_t{0};
  int64_t first = -1, last = -1;
  if (std::sscanf(range.c_str(), "bytes=%" SCNd64 "-%" SCNd64, &first, &last) !=
          2 ||
      first != 0 || last < 0)
    return Status(StatusCode::kCorruption,
                  "resumable upload answered Range '" + range + "'");
  return last + 1;
}

Status CheckMd5(const DriveFile& f, const std::string& local_md5) {
  if (f.md5.empty() || f.md5 == local_md5) return Status::Ok();
  return Status(StatusCode::kCorruption,
                "Drive's md5 of the uploaded file (" + f.md5 +
                    ") differs from the local content's (" + local_md5 + ")");
}

// MD5 of a ContentSource, read in 1 MiB pieces.
Result<std::string> Md5Of(const ContentSource& content) {
  util::Md5Hasher md5;
  std::string buf(1 << 20, '\0');
  for (int64_t off = 0; off < content.size();) {
    size_t n = static_cast<size_t>(std::min<int64_t>(
        static_cast<int64_t>(buf.size()), content.size() - off));
    Status s = content.ReadAt(off, buf.data(), n);
    if (!s.ok()) return s;
    md5.Update(buf.data(), n);
    off += static_cast<int64_t>(n);
  }
  return md5.FinishHex();
}

}  // namespace

Result<DriveFile> DriveClientImpl::UploadMultipart(
    const std::string& file_id, const FileMetadata& metadata,
    const ContentSource& content,
    const std::function<void(const UploadProgress&)>& progress) {
  std::string bytes(static_cast<size_t>(content.size()), '\0');
  Status read = content.ReadAt(0, bytes.data(), bytes.size());
  if (!read.ok()) return read;
  std::string boundary;
  do {  // a boundary must not occur in the content
    boundary = "gdmount-" + RandomUnreservedString(*random_, 32);
    for (char& ch : boundary)
      if (ch == '~' || ch == '.') ch = '_';
  } while (bytes.find(boundary) != std::string::npos);
  std::string mime = metadata.mime_type.value_or("application/octet-stream");
  std::string body = "--" + boundary + "\r\nContent-Type: " + kJsonContentType +
                     "\r\n\r\n" + MetadataToJson(metadata) + "\r\n--" +
                     boundary + "\r\nContent-Type: " + mime + "\r\n\r\n";
  body += bytes;
  body += "\r\n--" + boundary + "--\r\n";
  std::vector<std::pair<std::string, std::string>> params = {
      {"uploadType", "multipart"},
      {"fields", kFileFields},
      {"supportsAllDrives", "true"}};
  Call c;
  c.name =
      file_id.empty() ? "files.create.multipart" : "files.update.multipart";
  c.method = file_id.empty() ? "POST" : "PATCH";
  c.url = UploadUrl(
      file_id.empty() ? "/files" : "/files/" + util::PercentEncode(file_id),
      std::move(params));
  c.headers = {{"Content-Type", "multipart/related; boundary=" + boundary}};
  c.body = std::move(body);
  auto r = Execute(std::move(c));
  Result<DriveFile> file =
      r.ok() ? ParseFile(r->body)
             : CreatedBefore(file_id.empty() ? metadata.id.value_or("") : "",
                             r.status());
  if (!file.ok()) return file;
  if (r.ok() && progress) progress(UploadProgress{"", content.size(), *file});
  Status md5 = CheckMd5(*file, util::HexEncode(util::Md5(bytes)));
  if (!md5.ok()) return md5;
  return file;
}

Result<std::string> DriveClientImpl::StartResumable(
    const std::string& file_id, const FileMetadata& metadata, int64_t size) {
  FileMetadata md = metadata;
  if (!file_id.empty()) {
    md.parent_id.reset();
    md.id.reset();
  }
  Call c;
  c.name = "files.upload.start";
  c.method = file_id.empty() ? "POST" : "PATCH";  // PUT returns no Location
  c.url = UploadUrl(
      file_id.empty() ? "/files" : "/files/" + util::PercentEncode(file_id),
      {{"uploadType", "resumable"},
       {"fields", kFileFields},
       {"supportsAllDrives", "true"}});
  c.headers = {{"Content-Type", kJsonContentType},
               {"X-Upload-Content-Length", std::to_string(size)}};
  if (md.mime_type)
    c.headers.emplace_back("X-Upload-Content-Type", *md.mime_type);
  c.body = MetadataToJson(md);
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  std::string location = r->Header("location");
  if (location.empty())
    return Status(StatusCode::kCorruption,
                  "resumable upload started without a Location header");
  return location;
}

Result<UploadProgress> DriveClientImpl::QueryUpload(
    const std::string& session_uri, int64_t size) {
  Call c;
  c.name = "upload.status";
  c.method = "PUT";
  c.url = session_uri;
  c.headers = {{"Content-Range", "bytes */" + std::to_string(size)}};
  c.accept = {308};
  auto r = Execute(std::move(c));
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound)
      return NotFoundError("upload session expired or unknown");
    return r.status();
  }
  UploadProgress p;
  p.session_uri = session_uri;
  if (r->status == 308) {
    auto confirmed = ConfirmedFrom(*r);
    if (!confirmed.ok()) return confirmed.status();
    p.confirmed = *confirmed;
    return p;
  }
  auto file = ParseFile(r->body);
  if (!file.ok()) return file.status();
  p.confirmed = size;
  p.done = std::move(file.value());
  return p;
}

Result<HttpResponse> DriveClientImpl::SendChunk(const std::string& session_uri,
                                                const ContentSource& content,
                                                int64_t offset, int64_t size) {
  int64_t n = std::min(options_.chunk_size, size - offset);
  Call c;
  c.name = "upload.chunk";
  c.method = "PUT";
  c.url = session_uri;
  c.max_attempts = 1;  // after a failure the server is asked where it stands
  c.accept = {308};
  if (size > 0)
    c.headers = {{"Content-Range", "bytes " + std::to_string(offset) + "-" +
                                       std::to_string(offset + n - 1) + "/" +
                                       std::to_string(size)}};
  c.body.resize(static_cast<size_t>(n));
  Status read = content.ReadAt(offset, c.body.data(), c.body.size());
  if (!read.ok()) return read;
  return Execute(std::move(c));
}

Result<DriveFile> DriveClientImpl::ResumeUpload(
    const std::string& session_uri, const ContentSource& content,
    std::function<void(const UploadProgress&)> progress) {
  const int64_t size = content.size();
  auto report = [&](int64_t confirmed) {
    if (progress)
      progress(UploadProgress{session_uri, confirmed, std::nullopt});
  };
  auto finish = [&](DriveFile file) -> Result<DriveFile> {
    // Drive has made this version whatever the checks below find: the
    // caller learns of it first (a version of mixed or damaged bytes is
    // still one this client made).
    if (progress) progress(UploadProgress{session_uri, size, file});
    auto md5 = Md5Of(content);
    if (!md5.ok()) return md5.status();
    Status s = CheckMd5(file, *md5);
    if (!s.ok()) return s;
    if (file.size && *file.size != size)
      return Status(StatusCode::kCorruption,
                    "Drive reports " + std::to_string(*file.size) +
                        " bytes for an upload of " + std::to_string(size));
    return file;
  };
  auto where = QueryUpload(session_uri, size);
  if (!where.ok()) return where.status();
  if (where->done) return finish(std::move(*where->done));
  int64_t offset = where->confirmed;
  report(offset);
  int failures = 0;
  for (;;) {
    auto r = SendChunk(session_uri, content, offset, size);
    if (r.ok() && r->status != 308) {
      auto file = ParseFile(r->body);
      if (!file.ok()) return file.status();
      return finish(std::move(file.value()));
    }
    if (r.ok()) {
      auto confirmed = ConfirmedFrom(*r);
      if (!confirmed.ok()) return confirmed.status();
      if (*confirmed > size)
        return Status(StatusCode::kCorruption,
                      "server confirmed more bytes than sent");
      if (*confirmed > offset) failures = 0;
      offset = *confirmed;
      report(offset);
      continue;
    }
    Status s = r.status();
    if (s.code() == StatusCode::kNotFound)
      return NotFoundError("upload session expired or unknown");
    if (!IsTransient(s) || ++failures >= options_.retry.max_attempts ||
        !budget_.TryWithdraw())
      return s;
    auto delay = backoff_.Delay(failures - 1, s);
    GDMOUNT_LOG(kWarning) << "upload chunk at " << offset << ": "
                          << s.ToString()
                          << "; asking the server for its offset in "
                          << delay.count() << " ms";
    clock_->SleepFor(delay);
    retries_.fetch_add(1, std::memory_order_relaxed);
    CountKind("upload.chunk", &CallKindStats::retries);
    where = QueryUpload(session_uri, size);
    if (!where.ok()) return where.status();
    if (where->done) return finish(std::move(*where->done));
    offset = where->confirmed;
    report(offset);
  }
}

Result<DriveFile> DriveClientImpl::Upload(
    const std::string& file_id, const FileMetadata& metadata,
    const ContentSource& content,
    std::function<void(const UploadProgress&)> progress) {
  FileMetadata md = metadata;
  if (file_id.empty() && !md.id) {
    auto id = NextId();  // one id for every attempt and session
    if (!id.ok()) return id.status();
    md.id = *id;
  }
  if (content.size() <= options_.multipart_threshold)
    return UploadMultipart(file_id, md, content, progress);
  for (int restart = 0;; ++restart) {
    auto session = StartResumable(file_id, md, content.size());
    if (!session.ok()) {
      // A lost answer to the final chunk of an earlier session.
      if (file_id.empty()) return CreatedBefore(*md.id, session.status());
      return session.status();
    }
    auto file = ResumeUpload(*session, content, progress);
    if (file.ok() || file.status().code() != StatusCode::kNotFound ||
        restart + 1 >= kMaxSessionRestarts)
      return file;
    GDMOUNT_LOG(kWarning) << "upload session lost; starting a new one";
  }
}

}  // namespace gdmount::drive
