// Media reads: ranged downloads that resume where a broken transfer
// stopped, and exports (which Drive cannot serve in ranges).
#include <cinttypes>
#include <cstdio>

#include "drive/drive_client_impl.h"
#include "drive/errors.h"
#include "util/url.h"

namespace gdmount::drive {
namespace {

// Passes the bytes of one requested range to the caller's sink exactly once
// across attempts: checks each answer starts where it was asked to, skips
// what a server that ignored Range sends first, and drops anything past
// the requested end.
class RangeSink : public BodySink {
 public:
  RangeSink(BodySink& out, int64_t offset, std::optional<int64_t> length)
      : out_(out), offset_(offset), length_(length) {}

  // Offset the next attempt asks for.
  int64_t next() const { return offset_ + delivered_; }
  int64_t delivered() const { return delivered_; }
  bool complete() const { return length_ && delivered_ >= *length_; }
  // The file's end was reached: a whole-file (200) answer ended, or the
  // Content-Range total says nothing is left after next().
  bool at_end() const { return whole_ || (total_ >= 0 && next() >= total_); }

  Status Begin(int status, const HttpHeaders& headers) override {
    skip_ = 0;
    if (status == 200) {
      skip_ = next();  // the whole file came back
      whole_ = true;
      return Status::Ok();
    }
    std::string range;
    for (const auto& [k, v] : headers)
      if (k == "content-range") range = v;
    int64_t start = -1, end = -1, total = -1;
    int fields =
        std::sscanf(range.c_str(), "bytes %" SCNd64 "-%" SCNd64 "/%" SCNd64,
                    &start, &end, &total);
    if (fields < 2 || start != next() || end < start)
      return Status(StatusCode::kIo, "download answered Content-Range '" +
                                         range + "', asked for byte " +
                                         std::to_string(next()));
    if (fields == 3 && total > end) total_ = total;
    return Status::Ok();
  }

  Status Write(const char* data, size_t size) override {
    auto n = static_cast<int64_t>(size);
    if (skip_ > 0) {
      int64_t dropped = std::min(skip_, n);
      skip_ -= dropped;
      data += dropped;
      n -= dropped;
    }
    if (length_) n = std::min(n, *length_ - delivered_);
    if (n <= 0) return Status::Ok();
    Status s = out_.Write(data, static_cast<size_t>(n));
    if (s.ok()) delivered_ += n;
    return s;
  }

 private:
  BodySink& out_;
  const int64_t offset_;
  const std::optional<int64_t> length_;
  int64_t delivered_ = 0;
  int64_t skip_ = 0;
  int64_t total_ = -1;  // from the last Content-Range; -1: unknown
  bool whole_ = false;
};

// Answers in a row that may end (without a transfer error) before the
// range and before the file's end, before the download fails.
constexpr int kMaxShortAnswers = 3;

// Collects an export in memory (Drive caps exports at 10 MB) so the
// caller's sink sees it only once it arrived whole. A server that sends far
// more than Drive ever would is cut off rather than allowed to fill memory.
class BufferSink : public BodySink {
 public:
  static constexpr size_t kMaxExport = 64 << 20;
  Status Begin(int, const HttpHeaders&) override {
    data_.clear();  // a retry starts over
    return Status::Ok();
  }
  Status Write(const char* data, size_t size) override {
    if (data_.size() + size > kMaxExport)
      return Status(StatusCode::kNotSupported,
                    "export larger than " + std::to_string(kMaxExport >> 20) +
                        " MiB; Drive caps exports at 10 MB");
    data_.append(data, size);
    return Status::Ok();
  }
  std::string& data() { return data_; }

 private:
  std::string data_;
};

}  // namespace

Result<int64_t> DriveClientImpl::Download(const std::string& id, int64_t offset,
                                          std::optional<int64_t> length,
                                          BodySink& sink) {
  if (offset < 0 || (length && *length < 0))
    return InvalidArgumentError("negative download range");
  if (length && *length == 0) return int64_t{0};
  RangeSink range(sink, offset, length);
  auto set_range = [&range, length, offset](Call& c) {
    std::string r = "bytes=" + std::to_string(range.next()) + "-";
    if (length) r += std::to_string(offset + *length - 1);
    c.headers = {{"Range", r}};
  };
  Call c;
  c.name = "files.get.media";
  c.url = ApiUrl("/files/" + util::PercentEncode(id),
                 {{"alt", "media"}, {"supportsAllDrives", "true"}});
  c.media = true;
  c.sink = &range;
  c.accept = {416};
  set_range(c);
  c.before_retry = [&range, set_range](Call& call) {
    // Everything arrived before the connection broke: nothing to resume.
    if (range.complete()) return Status(StatusCode::kCancelled, "complete");
    set_range(call);
    return Status::Ok();
  };
  for (int answer = 1;; ++answer) {
    const int64_t before = range.delivered();
    auto r = Execute(c);
    if (!r.ok()) {
      if (range.complete()) return range.delivered();
      return r.status();
    }
    // 416: the range starts at or past the end (any range of an empty file).
    if (r->status == 416 || range.complete() || range.at_end())
      return range.delivered();
    // A 2xx that ended early without a transfer error (an empty body, a
    // truncating proxy): never passed off as the whole range. Ask again
    // for the rest, as after a reset.
    if (answer >= kMaxShortAnswers)
      return Status(StatusCode::kIo,
                    "Drive's answers kept ending early: " +
                        std::to_string(range.delivered()) + " of " +
                        (length ? std::to_string(*length) : "all") +
                        " bytes from byte " + std::to_string(offset));
    if (range.delivered() > before) answer = 0;  // progress: not stuck
    set_range(c);
  }
}

Result<int64_t> DriveClientImpl::Export(const std::string& id,
                                        const std::string& mime_type,
                                        BodySink& sink) {
  BufferSink buffer;
  Call c;
  c.name = "files.export";
  c.url = ApiUrl("/files/" + util::PercentEncode(id) + "/export",
                 {{"mimeType", mime_type}});
  c.media = true;
  c.sink = &buffer;
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  Status s = buffer.data().empty()
                 ? Status::Ok()
                 : sink.Write(buffer.data().data(), buffer.data().size());
  if (!s.ok()) return s;
  return static_cast<int64_t>(buffer.data().size());
}

}  // namespace gdmount::drive
