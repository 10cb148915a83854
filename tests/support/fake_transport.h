// FakeTransport: an HttpTransport whose answers come from a test's handler,
// recording every request. A 2xx body is streamed to the request's sink like
// CurlTransport does; a response carrying the header
// "x-fake-cut-after: N" delivers only N body bytes and then fails the Send
// with Unavailable, like a connection reset mid-body.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "gdmount/http_transport.h"

namespace gdmount::testing {

inline HttpResponse Answer(int status, std::string body = "",
                           HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// A Google JSON error body with one reason.
inline HttpResponse DriveError(int status, const std::string& reason,
                               HttpHeaders headers = {}) {
  return Answer(
      status,
      R"({"error":{"code":)" + std::to_string(status) +
          R"(,"message":"m","errors":[{"domain":"global","reason":")" + reason +
          R"(","message":"m"}]}})",
      std::move(headers));
}

class FakeTransport : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      requests_.back().sink = nullptr;
    }
    auto answer = handler_(request);
    if (!answer.ok()) return answer;
    HttpResponse r = std::move(answer.value());
    size_t cut = std::string::npos;
    std::string cut_header = r.Header("x-fake-cut-after");
    if (!cut_header.empty()) cut = std::stoul(cut_header);
    if (request.sink && r.status >= 200 && r.status < 300) {
      std::string body = std::move(r.body);
      r.body.clear();
      size_t n = std::min(cut, body.size());
      if (n > 0) {
        Status s = request.sink->Begin(r.status, r.headers);
        if (s.ok()) s = request.sink->Write(body.data(), n);
        if (!s.ok()) return s;
      }
      r.body_bytes = n;
      if (cut != std::string::npos)
        return Status(StatusCode::kUnavailable, "connection reset (fake)");
    } else {
      if (cut != std::string::npos)
        return Status(StatusCode::kUnavailable, "connection reset (fake)");
      r.body_bytes = r.body.size();
    }
    return r;
  }

  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

}  // namespace gdmount::testing
