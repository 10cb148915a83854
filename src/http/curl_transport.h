// CurlTransport: the production HttpTransport over libcurl.
//
// Design note. Connections are reused: easy handles are pooled, and all of
// them share one connection cache, DNS cache and TLS session cache through a
// CURLSH, so any thread's request can ride any idle keep-alive connection
// (no TCP or TLS handshake per request). Redirects are followed by this
// class, not by libcurl, so every hop passes CheckUrlAllowed and the
// Authorization header is dropped when a hop changes host. A stalled
// transfer (below low_speed_limit bytes/s for low_speed_time) is cut; a
// merely slow one is not. TLS peer and host verification are always on.
//
// Thread safety: thread-safe; Send may run on many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gdmount/http_transport.h"

namespace gdmount::http {

struct CurlTransportOptions {
  bool http2 = false;     // HTTP/2 over TLS when the server offers it
  std::string proxy;      // e.g. "http://proxy:3128"; "" = libcurl's env
  std::string ca_bundle;  // PEM file; "" = the system store
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer slower than this for low_speed_time is considered stalled.
  long low_speed_limit_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  int max_redirects = 5;
  size_t max_idle_handles = 64;
  // "gzip" in the User-Agent is half of what Google requires before it
  // gzips a response (the other half is Accept-Encoding, sent for JSON).
  std::string user_agent = "gdmount/0.1 (gzip)";
};

struct TransportStats {
  uint64_t requests = 0;
  uint64_t new_connections = 0;  // TCP connections opened
  uint64_t bytes_received = 0;   // response bodies
};

class CurlTransport : public HttpTransport {
 public:
  // Internal (never fails after curl_global_init succeeded once).
  static Result<std::unique_ptr<CurlTransport>> Create(
      CurlTransportOptions options);
  ~CurlTransport() override;

  Result<HttpResponse> Send(const HttpRequest& request) override;
  TransportStats stats() const;

 private:
  struct Shared;
  explicit CurlTransport(CurlTransportOptions options);
  Result<HttpResponse> SendOnce(const HttpRequest& request);
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const CurlTransportOptions options_;
  std::unique_ptr<Shared> shared_;  // CURLSH and its locks
  std::mutex pool_mu_;
  std::vector<void*> idle_;  // GUARDED_BY(pool_mu_); CURL* handles
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> new_connections_{0};
  std::atomic<uint64_t> bytes_received_{0};
};

}  // namespace gdmount::http
