#include "http/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "gdmount/log.h"
#include "util/url.h"

namespace gdmount::http {

// One mutex per kind of data libcurl shares between handles.
struct CurlTransport::Shared {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Shared*>(self)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Shared*>(self)->locks[data].unlock();
  }
};

namespace {

// Collects one exchange: status line and headers of the final response, and
// the body (to the sink for 2xx, else in memory up to kMaxErrorBody).
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  Status sink_status;
  bool began = false;  // sink->Begin called

  bool BodyGoesToSink() const {
    return request->sink != nullptr && response.status >= 200 &&
           response.status < 300;
  }
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after 100 Continue, or a retried auth): start over.
    ex->response.headers.clear();
    size_t sp = line.find(' ');
    ex->response.status =
        sp == std::string_view::npos
            ? 0
            : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  ex->response.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t n = size * count;
  if (ex->BodyGoesToSink()) {
    Status s;
    if (!ex->began) {
      ex->began = true;
      s = ex->request->sink->Begin(ex->response.status, ex->response.headers);
    }
    if (s.ok()) s = ex->request->sink->Write(data, n);
    if (!s.ok()) {
      ex->sink_status = std::move(s);
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
  } else {
    bool is_error = ex->response.status < 200 || ex->response.status >= 300;
    size_t room = is_error ? kMaxErrorBody - std::min(kMaxErrorBody,
                                                      ex->response.body.size())
                           : n;
    ex->response.body.append(data, std::min(n, room));
  }
  ex->response.body_bytes += n;
  return n;
}

Status FromCurlCode(CURLcode code, const char* errbuf,
                    const CurlTransportOptions& options) {
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      if (detail.find("Operation too slow") != std::string::npos)
        return Status(
            StatusCode::kUnavailable,
            "transfer stalled (below " +
                std::to_string(options.low_speed_limit_bytes) + " B/s for " +
                std::to_string(options.low_speed_time.count()) + " s)");
      return Status(StatusCode::kUnavailable, "timed out: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return Status(StatusCode::kPermissionDenied,
                    "TLS verification failed: " + detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgumentError("bad URL: " + detail);
    default:
      return Status(StatusCode::kUnavailable, detail);
  }
}

bool HasHeader(const HttpHeaders& headers, const char* lower_name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != std::strlen(lower_name)) continue;
    if (std::equal(k.begin(), k.end(), lower_name, [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
      return true;
  }
  return false;
}

curl_slist* BuildHeaderList(const HttpRequest& request) {
  curl_slist* list = nullptr;
  for (const auto& [k, v] : request.headers)
    list = curl_slist_append(list, (k + ": " + v).c_str());
  // libcurl would add these on its own; gdmount's requests never want them.
  list = curl_slist_append(list, "Expect:");
  if (request.method != "GET" && request.method != "DELETE" &&
      !HasHeader(request.headers, "content-type"))
    list = curl_slist_append(list, "Content-Type:");
  return list;
}

}  // namespace

Result<std::unique_ptr<CurlTransport>> CurlTransport::Create(
    CurlTransportOptions options) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK)
    return InternalError(std::string("curl_global_init: ") +
                         curl_easy_strerror(init));
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(options)));
}

CurlTransport::CurlTransport(CurlTransportOptions options)
    : options_(std::move(options)), shared_(std::make_unique<Shared>()) {
  shared_->share = curl_share_init();
  curl_share_setopt(shared_->share, CURLSHOPT_LOCKFUNC, &Shared::Lock);
  curl_share_setopt(shared_->share, CURLSHOPT_UNLOCKFUNC, &Shared::Unlock);
  curl_share_setopt(shared_->share, CURLSHOPT_USERDATA, shared_.get());
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE,
                    CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
}

CurlTransport::~CurlTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
  curl_share_cleanup(shared_->share);
}

void* CurlTransport::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlTransport::ReleaseHandle(void* handle) {
  curl_easy_reset(static_cast<CURL*>(handle));
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

TransportStats CurlTransport::stats() const {
  return {requests_.load(), new_connections_.load(), bytes_received_.load()};
}

Result<HttpResponse> CurlTransport::Send(const HttpRequest& request) {
  HttpRequest hop = request;
  for (int redirects = 0;; ++redirects) {
    auto response = SendOnce(hop);
    if (!response.ok() || !request.follow_redirects) return response;
    int s = response->status;
    bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
    std::string location = response->Header("location");
    if (!redirect || location.empty()) return response;
    if (redirects >= options_.max_redirects)
      return Status(StatusCode::kUnavailable, "too many redirects");
    auto from = util::SplitUrl(hop.url);
    auto to = util::SplitUrl(location);
    if (!to.ok()) {
      // Relative Location: resolve against the current URL's origin.
      if (!from.ok() || location.empty() || location[0] != '/')
        return Status(StatusCode::kUnavailable, "unusable redirect");
      std::string origin =
          from->scheme + "://" +
          (from->host.find(':') != std::string::npos ? "[" + from->host + "]"
                                                     : from->host) +
          (from->port ? ":" + std::to_string(from->port) : "");
      location = origin + location;
      to = util::SplitUrl(location);
      if (!to.ok())
        return Status(StatusCode::kUnavailable, "unusable redirect");
    }
    if (from.ok() && (from->host != to->host || from->port != to->port)) {
      // Never hand the bearer token to another host.
      auto& h = hop.headers;
      h.erase(std::remove_if(h.begin(), h.end(),
                             [](const auto& kv) {
                               return HasHeader({kv}, "authorization");
                             }),
              h.end());
    }
    hop.url = location;
    if (s == 303) {
      hop.method = "GET";
      hop.body.clear();
    }
  }
}

Result<HttpResponse> CurlTransport::SendOnce(const HttpRequest& request) {
  Status allowed = CheckUrlAllowed(request.url);
  if (!allowed.ok()) return allowed;
  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (!curl) return InternalError("curl_easy_init failed");
  Exchange ex;
  ex.request = &request;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = BuildHeaderList(request);

  curl_easy_setopt(curl, CURLOPT_SHARE, shared_->share);
  // The shared cache keeps this many idle connections (libcurl's default,
  // 5, is below gdmount's download parallelism: every request beyond it
  // closed a connection and opened a new one).
  curl_easy_setopt(curl, CURLOPT_MAXCONNECTS,
                   static_cast<long>(options_.max_idle_handles));
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!options_.proxy.empty())
    curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str());
  // The emulator and loopback sign-in never go through a proxy.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
  curl_easy_setopt(
      curl, CURLOPT_HTTP_VERSION,
      options_.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  // gzip for JSON only: a compressed media body would no longer match the
  // byte ranges and sizes the caller asked for.
  if (!request.sink) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT,
                   options_.low_speed_limit_bytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(options_.low_speed_time.count()));
  if (request.timeout.count() > 0)
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);

  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method != "DELETE" || !request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  CURLcode code = curl_easy_perform(curl);
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  requests_.fetch_add(1, std::memory_order_relaxed);
  new_connections_.fetch_add(static_cast<uint64_t>(connects),
                             std::memory_order_relaxed);
  bytes_received_.fetch_add(ex.response.body_bytes, std::memory_order_relaxed);
  curl_slist_free_all(headers);
  ReleaseHandle(curl);

  if (code == CURLE_WRITE_ERROR && !ex.sink_status.ok()) return ex.sink_status;
  if (code != CURLE_OK) {
    Status s = FromCurlCode(code, errbuf, options_);
    GDMOUNT_LOG(kDebug) << (request.log_name.empty() ? request.method
                                                     : request.log_name)
                        << " transport error: " << s.ToString();
    return s;
  }
  return std::move(ex.response);
}

}  // namespace gdmount::http
