#include "drive/drive_client_impl.h"

#include <algorithm>
#include <future>
#include <optional>

#include "drive/errors.h"
#include "drive/json_codec.h"
#include "drive/json_peek.h"
#include "drive/query.h"
#include "gdmount/log.h"
#include "util/url.h"

namespace gdmount::drive {
namespace {

constexpr int64_t kResumableQuantum = 256 * 1024;  // Drive's chunk unit
// Multipart bodies are built in memory.
constexpr int64_t kMaxMultipart = int64_t{64} << 20;

bool Is2xx(int status) { return status >= 200 && status < 300; }

}  // namespace

Status ValidateOptions(const DriveClientOptions& o) {
  if (o.chunk_size <= 0 || o.chunk_size % kResumableQuantum != 0)
    return InvalidArgumentError(
        "upload chunk size must be a positive multiple of 256 KiB, got " +
        std::to_string(o.chunk_size));
  if (o.multipart_threshold < 0 || o.multipart_threshold > kMaxMultipart)
    return InvalidArgumentError("multipart threshold must be in 0..64 MiB");
  if (o.retry.max_attempts < 1)
    return InvalidArgumentError("retry attempts must be >= 1");
  if (o.pacer.rate_per_s < 0 || (o.pacer.rate_per_s > 0 && o.pacer.burst < 1))
    return InvalidArgumentError("pacer rate must be >= 0 and burst >= 1");
  if (o.id_batch < 1 || o.id_batch > 1000)
    return InvalidArgumentError("id batch must be in 1..1000");
  for (const std::string* url :
       {&o.endpoints.api_root, &o.endpoints.upload_root}) {
    Status s = CheckUrlAllowed(*url);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

DriveClientImpl::DriveClientImpl(DriveClientOptions options,
                                 HttpTransport* transport, TokenSource* tokens,
                                 Clock* clock, RandomSource* random)
    : options_(std::move(options)),
      transport_(transport),
      tokens_(tokens),
      clock_(clock),
      random_(random),
      pacer_(options_.pacer, clock),
      backoff_(options_.retry, random),
      budget_(options_.retry.budget_ratio, options_.retry.budget_capacity) {}

ClientStats DriveClientImpl::stats() const {
  ClientStats out{calls_.load(),
                  requests_.load(),
                  retries_.load(),
                  rate_limited_.load(),
                  token_refreshes_.load(),
                  failures_.load(),
                  {}};
  std::lock_guard<std::mutex> lock(kinds_mu_);
  out.by_kind = kinds_;
  return out;
}

void DriveClientImpl::CountKind(const std::string& kind,
                                uint64_t CallKindStats::*field) {
  std::lock_guard<std::mutex> lock(kinds_mu_);
  ++(kinds_[kind].*field);
}

std::string DriveClientImpl::ApiUrl(
    const std::string& path,
    std::vector<std::pair<std::string, std::string>> params) const {
  std::string url = options_.endpoints.api_root + "/drive/v3" + path;
  params.emplace_back("prettyPrint", "false");  // Drive indents by default
  url += "?" + util::EncodeQuery(params);
  return url;
}

std::string DriveClientImpl::UploadUrl(
    const std::string& path,
    std::vector<std::pair<std::string, std::string>> params) const {
  std::string url = options_.endpoints.upload_root + "/upload/drive/v3" + path;
  params.emplace_back("prettyPrint", "false");
  url += "?" + util::EncodeQuery(params);
  return url;
}

Result<HttpResponse> DriveClientImpl::Attempt(const Call& call,
                                              std::string* auth_used) {
  pacer_.Acquire();
  auto auth = tokens_->AuthorizationHeader();
  if (!auth.ok()) return auth.status();
  *auth_used = *auth;
  HttpRequest req;
  req.method = call.method;
  req.url = call.url;
  req.headers = call.headers;
  req.headers.emplace_back("Authorization", *auth);
  req.body = call.body;
  req.sink = call.sink;
  req.follow_redirects = call.media;
  if (!call.media) req.timeout = options_.metadata_timeout;
  req.log_name = call.name;
  requests_.fetch_add(1, std::memory_order_relaxed);
  auto start = clock_->SteadyNow();
  auto resp = transport_->Send(req);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                clock_->SteadyNow() - start)
                .count();
  if (!resp.ok()) {
    GDMOUNT_LOG(kDebug) << call.name << " failed after " << ms
                        << " ms: " << resp.status().ToString();
    return resp.status();
  }
  GDMOUNT_LOG(kDebug) << call.name << " " << resp->status << " in " << ms
                      << " ms";
  int status = resp->status;
  if (Is2xx(status) || std::find(call.accept.begin(), call.accept.end(),
                                 status) != call.accept.end())
    return resp;
  return StatusFromHttp(status, resp->body, resp->Header("retry-after"));
}

Result<HttpResponse> DriveClientImpl::Execute(Call call) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  CountKind(call.name, &CallKindStats::calls);
  budget_.Deposit();
  const int max_attempts =
      call.max_attempts > 0 ? call.max_attempts : options_.retry.max_attempts;
  // A 401 refreshes the token and retries at once. A fresh token rejected
  // too may have been revoked under us (another request's 401 made the
  // token source replace it, or the account's tokens were revoked between
  // the refresh and this request): it gets another refresh, a few times;
  // the same token rejected twice is the answer.
  constexpr int kMaxRefreshes = 3;
  int refreshes = 0;
  std::string last_rejected;
  int retry = 0;
  for (int attempt = 1;; ++attempt) {
    std::string auth;
    auto r = Attempt(call, &auth);
    if (r.ok()) return r;
    Status s = r.status();
    if (s.http_status() == 401 && refreshes < kMaxRefreshes &&
        auth != last_rejected) {
      ++refreshes;
      last_rejected = auth;
      --attempt;
      token_refreshes_.fetch_add(1, std::memory_order_relaxed);
      tokens_->Invalidate(auth);
      GDMOUNT_LOG(kInfo) << call.name << ": access token rejected; refreshing";
    } else {
      if (s.code() == StatusCode::kRateLimited) {
        rate_limited_.fetch_add(1, std::memory_order_relaxed);
        CountKind(call.name, &CallKindStats::rate_limited);
      }
      bool transient = IsTransient(s) && attempt < max_attempts;
      if (transient && !budget_.TryWithdraw()) {
        GDMOUNT_LOG(kWarning)
            << call.name << ": retry budget exhausted; not retrying";
        transient = false;
      }
      if (!transient) {
        failures_.fetch_add(1, std::memory_order_relaxed);
        CountKind(call.name, &CallKindStats::failures);
        return s;
      }
      auto delay = backoff_.Delay(retry++, s);
      GDMOUNT_LOG(kWarning)
          << call.name << ": " << s.ToString() << "; retry " << retry << "/"
          << (max_attempts - 1) << " in " << delay.count() << " ms";
      clock_->SleepFor(delay);
      retries_.fetch_add(1, std::memory_order_relaxed);
      CountKind(call.name, &CallKindStats::retries);
    }
    if (call.before_retry) {
      Status b = call.before_retry(call);
      if (!b.ok()) return b;
    }
  }
}

Result<About> DriveClientImpl::GetAbout() {
  Call c;
  c.name = "about.get";
  c.url = ApiUrl("/about", {{"fields", AboutFields()}});
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  return ParseAbout(r->body);
}

Result<DriveFile> DriveClientImpl::GetFile(const std::string& id) {
  Call c;
  c.name = "files.get";
  c.url = ApiUrl("/files/" + util::PercentEncode(id),
                 {{"fields", kFileFields}, {"supportsAllDrives", "true"}});
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  return ParseFile(r->body);
}

Result<std::string> DriveClientImpl::ListPageText(
    const ListQuery& query, const std::string& page_token) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"q", query.q},
      {"pageSize", std::to_string(query.page_size)},
      {"fields", ListFields()},
      {"supportsAllDrives", "true"},
      {"includeItemsFromAllDrives", "true"},
      {"spaces", "drive"}};
  if (!query.order_by.empty()) params.emplace_back("orderBy", query.order_by);
  if (!query.drive_id.empty()) {
    params.emplace_back("corpora", "drive");
    params.emplace_back("driveId", query.drive_id);
  }
  if (!page_token.empty()) params.emplace_back("pageToken", page_token);
  Call c;
  c.name = "files.list";
  c.url = ApiUrl("/files", std::move(params));
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Result<FileListPage> DriveClientImpl::ListPage(const ListQuery& query,
                                               const std::string& page_token) {
  auto text = ListPageText(query, page_token);
  if (!text.ok()) return text.status();
  return ParseFileList(*text);
}

Status DriveClientImpl::ListEach(const ListQuery& query, const ListSink& sink) {
  for (int restart = 0;; ++restart) {
    std::string failed_token;
    Status s = ListEachOnce(query, sink, &failed_token);
    if (s.ok()) return s;
    // Page tokens expire after hours; a rejected one means start again.
    bool rejected_token =
        !failed_token.empty() && s.code() == StatusCode::kInvalidArgument;
    if (!rejected_token || restart >= 1) return s;
    GDMOUNT_LOG(kWarning) << "files.list: page token rejected; listing again";
  }
}

// The next page is requested before this one is decoded and handed to the
// sink: its token is read from the raw text (PeekNextPageToken), and
// decoding plus storing a 1000-file page costs about as much as fetching
// the next one. The decoded token is authoritative: if the peek disagreed,
// the early fetch is discarded. At most one request is ahead, so memory
// holds two pages' text at most.
Status DriveClientImpl::ListEachOnce(const ListQuery& query,
                                     const ListSink& sink,
                                     std::string* failed_token) {
  std::string token;  // the token `text` was fetched with
  Result<std::string> text = ListPageText(query, token);
  for (bool first = true;; first = false) {
    if (!text.ok()) {
      *failed_token = token;
      return text.status();
    }
    std::optional<std::string> peeked = PeekNextPageToken(*text);
    std::future<Result<std::string>> ahead;
    if (peeked && !peeked->empty()) {
      ahead = std::async(std::launch::async, [this, &query, t = *peeked] {
        return ListPageText(query, t);
      });
    }
    // Leaving this scope waits for `ahead`: its thread uses `query`.
    auto page = ParseFileList(*text);
    if (!page.ok()) return page.status();
    token = page->next_page_token;
    Status s = sink(std::move(page->files), first);
    if (!s.ok()) return s;
    if (token.empty()) return Status::Ok();
    if (ahead.valid() && *peeked == token) {
      text = ahead.get();
    } else {
      if (ahead.valid()) ahead.wait();
      text = ListPageText(query, token);
    }
  }
}

Result<std::vector<SharedDrive>> DriveClientImpl::ListDrives() {
  std::vector<SharedDrive> all;
  std::string token;
  do {
    std::vector<std::pair<std::string, std::string>> params = {
        {"pageSize", "100"}, {"fields", DriveListFields()}};
    if (!token.empty()) params.emplace_back("pageToken", token);
    Call c;
    c.name = "drives.list";
    c.url = ApiUrl("/drives", std::move(params));
    auto r = Execute(std::move(c));
    if (!r.ok()) return r.status();
    auto page = ParseDriveList(r->body);
    if (!page.ok()) return page.status();
    for (auto& d : page->drives) all.push_back(std::move(d));
    token = page->next_page_token;
  } while (!token.empty());
  return all;
}

Status DriveClientImpl::Delete(const std::string& id) {
  bool retried = false;
  Call c;
  c.name = "files.delete";
  c.method = "DELETE";
  c.url = ApiUrl("/files/" + util::PercentEncode(id),
                 {{"supportsAllDrives", "true"}});
  c.before_retry = [&retried](Call&) {
    retried = true;
    return Status::Ok();
  };
  auto r = Execute(std::move(c));
  // A replayed delete finds nothing: the first attempt did the work.
  if (!r.ok() && retried && r.status().code() == StatusCode::kNotFound)
    return Status::Ok();
  return r.status();
}

Result<std::string> DriveClientImpl::GetStartPageToken(
    const std::string& drive_id) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"supportsAllDrives", "true"}};
  if (!drive_id.empty()) params.emplace_back("driveId", drive_id);
  Call c;
  c.name = "changes.getStartPageToken";
  c.url = ApiUrl("/changes/startPageToken", std::move(params));
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  return ParseStartPageToken(r->body);
}

Result<ChangePage> DriveClientImpl::ListChanges(const std::string& page_token,
                                                int page_size,
                                                const std::string& drive_id) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"pageToken", page_token},
      {"pageSize", std::to_string(page_size)},
      {"fields", ChangeFields()},
      {"includeRemoved", "true"},
      {"supportsAllDrives", "true"},
      {"includeItemsFromAllDrives", "true"},
      {"spaces", "drive"}};
  if (!drive_id.empty()) params.emplace_back("driveId", drive_id);
  Call c;
  c.name = "changes.list";
  c.url = ApiUrl("/changes", std::move(params));
  auto r = Execute(std::move(c));
  if (!r.ok()) return r.status();
  return ParseChangeList(r->body);
}

}  // namespace gdmount::drive
