// Upload endpoints: uploadType=media, multipart, resumable (+ session URIs).
#include "tests/emulator/blob.h"
#include "tests/emulator/emulator.h"
#include "tests/emulator/multipart.h"
#include "tests/emulator/range.h"
#include "tests/emulator/render.h"

namespace gdmount::emulator {
namespace {

constexpr size_t kMaxMultipartBody = 512
                                     << 20;  // whole body is parsed in memory
constexpr size_t kStreamBuffer = 256 * 1024;

// Streams the request body: bytes [skip, skip+keep) go to `w`, the rest is
// read and dropped. Fails if the body breaks or (expected >= 0) its length
// differs from `expected`.
ApiOr<int64_t> StreamBody(HttpRequest& req, BlobWriter* w, int64_t skip,
                          int64_t keep, int64_t expected) {
  std::vector<char> buf(kStreamBuffer);
  int64_t pos = 0;
  for (;;) {
    int64_t n = req.ReadBody(buf.data(), buf.size());
    if (n < 0)
      return BadRequest("The request body was cut short.", "badContent");
    if (n == 0) break;
    int64_t lo = std::max(pos, skip), hi = std::min(pos + n, skip + keep);
    if (hi > lo) {
      if (!w->Append(buf.data() + (lo - pos), hi - lo).ok())
        return InternalError("cannot store upload");
    }
    pos += n;
  }
  if (expected >= 0 && pos != expected)
    return BadRequest("The request body length " + std::to_string(pos) +
                          " does not match the Content-Range.",
                      "badContent");
  return pos;
}

std::string MediaType(const HttpRequest& req) {
  std::string ct = req.Header("content-type");
  return ct.substr(0, ct.find(';'));
}

}  // namespace

void Emulator::Upload(Call& call) {
  std::string type = StrParam(call, "uploadType");
  if (call.req.path.rfind("/resumable/", 0) == 0) type = "resumable";
  if (type == "media") return UploadSimple(call, false);
  if (type == "multipart") return UploadSimple(call, true);
  if (type == "resumable") return UploadResumableStart(call);
  if (type.empty())
    return SendError(
        call,
        BadRequest("Upload requests must include an uploadType URL parameter.",
                   "required", "uploadType", "parameter"));
  SendError(call, InvalidParameter("uploadType", "Invalid value '" + type +
                                                     "' for uploadType"));
}

ApiOr<FileRecord> Emulator::FinishUpload(Call& call,
                                         const nlohmann::json& metadata,
                                         std::optional<NewContent> content,
                                         const std::string& file_id,
                                         const std::string& add_parents,
                                         const std::string& remove_parents) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= s.size() && !s.empty()) {
      size_t e = s.find(',', p);
      if (e == std::string::npos) e = s.size();
      if (e > p) out.push_back(s.substr(p, e - p));
      p = e + 1;
    }
    return out;
  };
  if (file_id.empty())
    return store_->Create(metadata, std::move(content), call.scope);
  return store_->Update(file_id, metadata, split(add_parents),
                        split(remove_parents), std::move(content), call.scope);
}

void Emulator::UploadSimple(Call& call, bool multipart) {
  std::string path = journal_->NewBlobPath();
  auto writer = BlobWriter::Open(path, false);
  if (!writer.ok()) return SendError(call, InternalError());
  nlohmann::json metadata = nlohmann::json::object();
  std::string media_type;
  if (!multipart) {
    media_type = MediaType(call.req);
    if (call.req.content_length > 0) {
      auto q = store_->CheckQuota(call.req.content_length, "");
      if (!q.ok()) return SendError(call, q.error());
    }
    auto n = StreamBody(call.req, writer->get(), 0, INT64_MAX, -1);
    if (!n.ok()) return SendError(call, n.error());
  } else {
    std::string body;
    if (!call.req.ReadAllBody(&body, kMaxMultipartBody).ok())
      return SendError(
          call, BadRequest("Request body too large or broken.", "badContent"));
    auto parts = ParseMultipart(call.req.Header("content-type"), body);
    if (!parts.ok() || parts->size() != 2)
      return SendError(
          call, BadRequest(
                    "Bad multipart request: expected metadata and media parts.",
                    "badContent"));
    const std::string& md_text = (*parts)[0].body;
    if (md_text.find_first_not_of(" \t\r\n") != std::string::npos) {
      metadata = nlohmann::json::parse(md_text, nullptr, false);
      if (metadata.is_discarded() || !metadata.is_object())
        return SendError(
            call, BadRequest("Invalid JSON payload received.", "parseError"));
    }
    auto ct = (*parts)[1].headers.find("content-type");
    if (ct != (*parts)[1].headers.end())
      media_type = ct->second.substr(0, ct->second.find(';'));
    const std::string& media = (*parts)[1].body;
    if (!(*writer)->Append(media.data(), media.size()).ok())
      return SendError(call, InternalError());
  }
  auto blob = (*writer)->Finish(false);
  if (!blob.ok()) return SendError(call, InternalError());
  auto f = FinishUpload(call, metadata, NewContent{blob.value(), media_type},
                        call.path_id, StrParam(call, "addParents"),
                        StrParam(call, "removeParents"));
  if (!f.ok()) return SendError(call, f.error());
  SendFile(call, f.value());
}

void Emulator::UploadResumableStart(Call& call) {
  nlohmann::json metadata;
  if (!ReadJsonBody(call, &metadata)) return;
  auto sess = std::make_shared<UploadSession>();
  sess->file_id = call.path_id;
  sess->metadata = metadata;
  sess->media_type = call.req.Header("x-upload-content-type");
  sess->add_parents = StrParam(call, "addParents");
  sess->remove_parents = StrParam(call, "removeParents");
  sess->fields = call.fields;
  sess->has_fields = call.has_fields;
  sess->scope = call.scope;
  if (std::string len = call.req.Header("x-upload-content-length");
      !len.empty()) {
    char* end = nullptr;
    long long v = std::strtoll(len.c_str(), &end, 10);
    if (*end != '\0' || v < 0)
      return SendError(
          call, BadRequest("Invalid X-Upload-Content-Length.", "badRequest",
                           "X-Upload-Content-Length", "header"));
    sess->declared_total = v;
  }
  // Drive checks the target at initiation, not only at the end.
  std::string parent;
  if (!sess->file_id.empty()) {
    auto f = store_->Get(sess->file_id, call.scope);
    if (!f.ok()) return SendError(call, f.error());
    if (f->read_only) return SendError(call, InsufficientPermissions());
    if (metadata.contains("parents"))
      return SendError(call, ParentsNotWritable());
    if (!f->parents.empty()) parent = f->parents[0];
  } else if (auto p = metadata.find("parents");
             p != metadata.end() && p->is_array() && p->size() == 1 &&
             (*p)[0].is_string()) {
    parent = (*p)[0].get<std::string>();
    auto pf = store_->Get(parent, call.scope);
    if (!pf.ok()) return SendError(call, pf.error());
  }
  if (sess->declared_total > 0) {
    auto q = store_->CheckQuota(sess->declared_total, parent);
    if (!q.ok()) return SendError(call, q.error());
  }
  auto created = uploads_->Create(sess);
  if (!created.ok()) return SendError(call, InternalError());
  std::string location = public_url_ + "/upload/drive/v3/files" +
                         (sess->file_id.empty() ? "" : "/" + sess->file_id) +
                         "?uploadType=resumable&upload_id=" + sess->id;
  call.res.status = 200;
  call.res.SetHeader("Location", location);
  call.res.SetHeader("X-GUploader-UploadID", sess->id);
  call.res.SetHeader("Content-Type", "text/plain; charset=utf-8");
}

void Emulator::UploadChunk(Call& call, const std::string& upload_id) {
  if (call.req.method != "PUT" && call.req.method != "POST")
    return SendError(call, ApiError{405, "httpMethodNotAllowed",
                                    "Method Not Allowed", "global", "", ""});
  auto sess = uploads_->Find(upload_id);
  if (!sess)
    return SendError(
        call, ApiError{404, "notFound", "Upload session not found or expired.",
                       "global", "upload_id", "parameter"});
  std::lock_guard<std::mutex> lock(sess->mu);
  call.scope = sess->scope;
  if (!call.has_fields) {  // `fields` from the initiation, unless given again
    call.fields = sess->fields;
    call.has_fields = sess->has_fields;
  }
  auto reply_file = [&](const std::string& id) {
    auto f = store_->Get(id, call.scope);
    if (!f.ok()) return SendError(call, f.error());
    SendFile(call, f.value());
  };
  if (sess->finished) return reply_file(sess->result_id);
  auto incomplete = [&] {
    call.res.status = 308;
    int64_t got = sess->received();
    if (got > 0)
      call.res.SetHeader("Range", "bytes=0-" + std::to_string(got - 1));
    call.res.SetHeader("Content-Type", "text/plain; charset=utf-8");
  };
  int64_t got = sess->received();
  std::string cr = call.req.Header("content-range");
  int64_t first = got, last = -1, total = sess->declared_total;
  bool status_query = false;
  if (cr.empty()) {
    // The whole content in one request (or an empty file).
    int64_t len = call.req.content_length;
    if (len < 0 && !call.req.chunked) len = 0;
    if (len >= 0) {
      last = got + len - 1;
      total = got + len;
    } else {
      total = -2;  // chunked body: the total is whatever arrives
    }
    if (got > 0 && len > 0)
      return SendError(
          call, BadRequest("Content-Range is required to resume.", "badRequest",
                           "Content-Range", "header"));
  } else {
    auto parsed = ParseUploadContentRange(cr);
    if (!parsed.ok())
      return SendError(call,
                       BadRequest("Invalid Content-Range: " + cr, "badRequest",
                                  "Content-Range", "header"));
    if (parsed->total_known) {
      if (sess->declared_total >= 0 && parsed->total != sess->declared_total)
        return SendError(
            call, BadRequest(
                      "The Content-Range total does not match the upload size.",
                      "badRequest", "Content-Range", "header"));
      total = parsed->total;
    }
    status_query = !parsed->has_bytes;
    if (!status_query) {
      first = parsed->first;
      last = parsed->last;
      if (first > got)
        return SendError(
            call, BadRequest("Invalid Content-Range: the server has " +
                                 std::to_string(got) + " bytes; next is byte " +
                                 std::to_string(got) + ".",
                             "badRequest", "Content-Range", "header"));
      if (call.req.content_length >= 0 &&
          call.req.content_length != last - first + 1)
        return SendError(
            call, BadRequest("Content-Length does not match Content-Range.",
                             "badRequest", "Content-Range", "header"));
    }
  }
  bool final_chunk = false;
  if (!status_query) {
    int64_t end = last + 1;  // exclusive end of this chunk
    final_chunk = total == -2 || (total >= 0 && end == total);
    int64_t keep_end = end;
    if (!final_chunk && (end - first) % kUploadChunkQuantum != 0 &&
        total != -2) {
      if (uploads_->options().strict_chunks)
        return SendError(call,
                         BadRequest("Chunk size must be a multiple of 256 KiB "
                                    "(262144 bytes) except for the last chunk.",
                                    "badRequest", "Content-Range", "header"));
      keep_end =
          first + (end - first) / kUploadChunkQuantum * kUploadChunkQuantum;
    }
    int64_t skip = got - first;
    auto n = StreamBody(call.req, sess->writer.get(), skip,
                        std::max<int64_t>(0, keep_end - got),
                        total == -2 ? -1 : end - first);
    if (!n.ok()) return SendError(call, n.error());
    if (total == -2) total = sess->received();
  } else if (total >= 0 && got == total) {
    final_chunk = true;  // everything was there; only the answer got lost
  }
  if (!final_chunk || sess->received() != total) return incomplete();

  if (Status s = sess->writer->MoveTo(journal_->NewBlobPath()); !s.ok())
    return SendError(call, InternalError());
  auto blob = sess->writer->Finish(false);
  if (!blob.ok()) return SendError(call, InternalError());
  sess->writer.reset();
  auto f = FinishUpload(call, sess->metadata,
                        NewContent{blob.value(), sess->media_type},
                        sess->file_id, sess->add_parents, sess->remove_parents);
  sess->finished = true;
  if (!f.ok()) {
    uploads_->Finish(sess->id, "");
    return SendError(call, f.error());
  }
  sess->result_id = f->id;
  uploads_->Finish(sess->id, f->id);
  reply_file(f->id);
}

}  // namespace gdmount::emulator
