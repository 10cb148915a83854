// HTTP seam. drive/ and auth/ build HttpRequests and interpret HttpResponses;
// only src/http/ (CurlTransport) talks to libcurl. Tests substitute
// tests/support/fake_transport.h.
//
// A 4xx/5xx answer is a *successful* Send: the caller decides what the status
// means. Send fails only when no complete answer arrived: connection refused
// or reset, timeout or stall, truncated body, TLS failure, a URL the policy
// refuses, or a body sink that refused the bytes.
//
// Thread safety: implementations are thread-safe; Send may be called from
// many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Receives a successful (2xx) response body as it streams in, so a 1 GiB
// download never sits in memory.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Called once, before the first Write, with the response head (status and
  // lower-cased headers), so a sink can check Content-Range first.
  // Returns non-OK to refuse the body; Send then returns that Status.
  virtual Status Begin(int status, const HttpHeaders& headers) {
    (void)status;
    (void)headers;
    return Status::Ok();
  }
  // Returns non-OK to abort the transfer; Send then returns that Status.
  virtual Status Write(const char* data, size_t size) = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  // Follow 3xx redirects (media downloads). Off by default: a resumable
  // upload's 308 is an answer, not a redirect.
  bool follow_redirects = false;
  // Overall deadline for the whole exchange; zero means none (stalls are
  // still cut by the transport's low-speed limit).
  std::chrono::milliseconds timeout{0};
  // Where a 2xx body goes. nullptr: collected in HttpResponse::body.
  // Non-2xx bodies (errors) are always collected in HttpResponse::body
  // (truncated at kMaxErrorBody) and never reach the sink.
  BodySink* sink = nullptr;
  // Name for logs and stats ("files.get.media"); never the URL.
  std::string log_name;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, in arrival order
  std::string body;     // empty when a sink took a 2xx body
  // Bytes delivered to the sink (2xx with sink) or to `body`.
  uint64_t body_bytes = 0;

  // First header with this lower-case name, or "".
  std::string Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return "";
  }
};

// Error bodies larger than this are cut (they are JSON error objects).
inline constexpr size_t kMaxErrorBody = 1 << 20;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Errors: Unavailable (connect/reset/timeout/stall/truncated; the message
  // says which), PermissionDenied (TLS verification failed),
  // InvalidArgument (URL refused by the loopback-only-http policy or
  // malformed), or the sink's Status.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// True if plain http:// is acceptable for `url`: its host is a loopback
// address (127.0.0.0/8, ::1, localhost). https:// URLs are always allowed.
// Returns InvalidArgument with the reason otherwise (also for URLs that are
// neither http nor https, or have no host).
Status CheckUrlAllowed(std::string_view url);

}  // namespace gdmount
