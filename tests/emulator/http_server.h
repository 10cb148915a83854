// A small HTTP/1.1 server for the emulator, on plain TCP (loopback).
//
// Why not a library: the emulator must misbehave on purpose the way a real
// network does (reset a connection mid-body, send a short body, cap each
// connection's bandwidth, delay the first byte), which needs the socket. It
// speaks enough HTTP/1.1 for every client we test with: keep-alive and
// pipelining, Content-Length and chunked request bodies, `Expect:
// 100-continue`, fixed-length, blob-streamed and chunked responses.
//
// Threading: one accept thread, one thread per connection (clients keep a
// handful of pooled connections; 16+ concurrent clients are served at once).
// The handler runs on the connection's thread and must be thread-safe; an
// exception escaping it becomes a 500 and closes that connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::emulator {

class Blob;
class Connection;

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path?query
  std::string path;    // percent-decoded path
  std::string raw_query;
  // Decoded query parameters in order (a name may repeat).
  std::vector<std::pair<std::string, std::string>> params;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string remote_addr;

  // First value of a query parameter, or nullptr.
  const std::string* Param(const std::string& name) const;
  // Header value, or "" when absent.
  std::string Header(const std::string& lower_name) const;

  // Request body, streamed. Returns bytes read (0 at the end), or -1 on a
  // broken connection / malformed chunked encoding.
  int64_t ReadBody(char* buf, size_t n);
  // Reads the whole body into *out; fails past `limit` bytes.
  Status ReadAllBody(std::string* out, size_t limit);
  // Declared length, or -1 if chunked/unknown.
  int64_t content_length = 0;
  bool chunked = false;

 private:
  friend class Connection;
  Connection* conn_ = nullptr;
  int64_t body_left_ = 0;   // for Content-Length bodies
  int64_t chunk_left_ = 0;  // for chunked bodies
  bool body_done_ = false;
  bool body_error_ = false;
};

// Network faults the handler can ask for on this response.
enum class WireFault {
  kNone,
  kResetMidBody,     // abortive close (RST) after part of the body
  kTruncateMidBody,  // orderly close (FIN) after part of the body
  kResetBeforeResponse,
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // used unless blob is set
  // Stream [blob_offset, blob_offset+blob_length) of a blob instead of body.
  std::shared_ptr<const Blob> blob;
  int64_t blob_offset = 0;
  int64_t blob_length = 0;
  bool chunked = false;   // send body with Transfer-Encoding: chunked
  int64_t delay_ms = 0;   // before the status line (latency shaping)
  bool is_media = false;  // counts towards media bytes served
  WireFault fault = WireFault::kNone;
  bool close_connection = false;

  void SetHeader(const std::string& name, const std::string& value);
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                       // 0: the kernel picks
  int64_t bandwidth_bytes_per_s = 0;  // per connection, 0 = unlimited
  int idle_timeout_s = 120;           // keep-alive idle limit
};

struct HttpCounters {
  std::atomic<int64_t> bytes_sent{0};
  std::atomic<int64_t> media_bytes_sent{0};
  std::atomic<int64_t> bytes_received{0};
  std::atomic<int64_t> connections{0};
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest&, HttpResponse&)>;

  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // Stop()s

  // Binds and listens; returns the port. Connections queue in the kernel
  // until Serve() runs.
  Result<int> Listen();
  // Accept loop; returns after Stop().
  void Serve();
  // Closes the listener and every connection, waits for their threads.
  void Stop();

  HttpCounters& counters() { return counters_; }
  const HttpServerOptions& options() const { return options_; }
  void set_bandwidth(int64_t bytes_per_s) {
    options_.bandwidth_bytes_per_s = bytes_per_s;
  }

 private:
  friend class Connection;
  void RunConnection(int fd, std::string remote);

  HttpServerOptions options_;
  Handler handler_;
  HttpCounters counters_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::set<int> open_fds_;  // GUARDED_BY(mu_)
  int live_threads_ = 0;    // GUARDED_BY(mu_)
};

// Percent-decoding ('+' is a space only when plus_is_space).
std::string PercentDecode(std::string_view s, bool plus_is_space);
std::string PercentEncode(std::string_view s);
// Parses a=1&b=2 (form bodies, query strings).
std::vector<std::pair<std::string, std::string>> ParseQueryString(
    std::string_view q);
const char* ReasonPhrase(int status);

}  // namespace gdmount::emulator
