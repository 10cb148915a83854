#include "tests/emulator/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "tests/emulator/blob.h"

namespace gdmount::emulator {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kSendSlice = 1024 * 1024;   // unshaped write size
constexpr size_t kShapedSlice = 16 * 1024;   // shaped: smooth pacing
constexpr int64_t kMaxDrainBytes = 8 << 20;  // unread body we swallow
constexpr size_t kMaxChunkLine = 1024;

std::string Lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
    --e;
  return std::string(s.substr(b, e - b));
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 &&
        HexVal(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(
    std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    std::string_view v =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    out.emplace_back(PercentDecode(k, true), PercentDecode(v, true));
  }
  return out;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 302:
      return "Found";
    case 308:
      return "Resume Incomplete";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Requested Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

const std::string* HttpRequest::Param(const std::string& name) const {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

void HttpResponse::SetHeader(const std::string& name,
                             const std::string& value) {
  for (auto& [k, v] : headers) {
    if (Lower(k) == Lower(name)) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

// One client connection: buffered reads, shaped writes, request loop.
class Connection {
 public:
  Connection(HttpServer* server, int fd) : server_(server), fd_(fd) {}

  void Run(const std::string& remote);

  // Reads up to n bytes (buffer first). 0 = EOF, -1 = error/timeout.
  int64_t ReadSome(char* buf, size_t n) {
    if (pos_ < in_.size()) {
      size_t take = std::min(n, in_.size() - pos_);
      std::memcpy(buf, in_.data() + pos_, take);
      pos_ += take;
      return take;
    }
    for (;;) {
      ssize_t r = ::recv(fd_, buf, n, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) server_->counters_.bytes_received += r;
      return r;
    }
  }
  bool ReadLine(std::string* line) {  // for chunk-size lines
    line->clear();
    char c;
    while (line->size() < kMaxChunkLine) {
      if (ReadSome(&c, 1) != 1) return false;
      if (c == '\n') {
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      line->push_back(c);
    }
    return false;
  }

 private:
  bool ReadHead(std::string* head);
  bool ParseHead(const std::string& head, HttpRequest* req, int* error);
  void WriteSimple(int status, const std::string& body);
  bool WriteResponse(const HttpRequest& req, HttpResponse& res);
  bool SendAll(const char* p, size_t n, bool shaped);
  void Abort();

  HttpServer* server_;
  int fd_;
  std::string in_;
  size_t pos_ = 0;
  // Bandwidth shaping state for the response being written.
  std::chrono::steady_clock::time_point shape_start_;
  int64_t shape_sent_ = 0;
};

int64_t HttpRequest::ReadBody(char* buf, size_t n) {
  if (body_error_) return -1;
  if (body_done_ || n == 0) return 0;
  if (!chunked) {
    if (body_left_ <= 0) {
      body_done_ = true;
      return 0;
    }
    int64_t r = conn_->ReadSome(buf, std::min<int64_t>(n, body_left_));
    if (r <= 0) {
      body_error_ = true;
      return -1;
    }
    body_left_ -= r;
    if (body_left_ == 0) body_done_ = true;
    return r;
  }
  if (chunk_left_ == 0) {
    std::string line;
    if (!conn_->ReadLine(&line)) return body_error_ = true, -1;
    size_t semi = line.find(';');
    std::string hex = Trim(line.substr(0, semi));
    if (hex.empty() || hex.size() > 15) return body_error_ = true, -1;
    int64_t size = 0;
    for (char c : hex) {
      if (HexVal(c) < 0) return body_error_ = true, -1;
      size = size * 16 + HexVal(c);
    }
    if (size == 0) {  // last chunk; skip trailers up to the blank line
      do {
        if (!conn_->ReadLine(&line)) return body_error_ = true, -1;
      } while (!line.empty());
      body_done_ = true;
      return 0;
    }
    chunk_left_ = size;
  }
  int64_t r = conn_->ReadSome(buf, std::min<int64_t>(n, chunk_left_));
  if (r <= 0) return body_error_ = true, -1;
  chunk_left_ -= r;
  if (chunk_left_ == 0) {
    std::string crlf;
    if (!conn_->ReadLine(&crlf) || !crlf.empty()) return body_error_ = true, -1;
  }
  return r;
}

Status HttpRequest::ReadAllBody(std::string* out, size_t limit) {
  out->clear();
  char buf[kReadChunk];
  for (;;) {
    int64_t r = ReadBody(buf, sizeof buf);
    if (r < 0) return IoError("request body broken");
    if (r == 0) return Status();
    if (out->size() + r > limit)
      return Status(StatusCode::kInvalidArgument, "request body too large");
    out->append(buf, r);
  }
}

bool Connection::ReadHead(std::string* head) {
  for (;;) {
    size_t end = in_.find("\r\n\r\n", pos_);
    size_t skip = 4;
    if (end == std::string::npos) {
      end = in_.find("\n\n", pos_);
      skip = 2;
    }
    if (end != std::string::npos) {
      if (end - pos_ > kMaxHeaderBytes) return false;
      *head = in_.substr(pos_, end - pos_);
      pos_ = end + skip;
      return true;
    }
    if (in_.size() - pos_ > kMaxHeaderBytes) return false;
    if (pos_ > 0) {
      in_.erase(0, pos_);
      pos_ = 0;
    }
    char buf[kReadChunk];
    ssize_t r;
    do {
      r = ::recv(fd_, buf, sizeof buf, 0);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return false;
    server_->counters_.bytes_received += r;
    in_.append(buf, r);
  }
}

bool Connection::ParseHead(const std::string& head, HttpRequest* req,
                           int* error) {
  *error = 400;
  size_t line_end = head.find('\n');
  std::string line = Trim(head.substr(0, line_end));
  size_t s1 = line.find(' '), s2 = line.rfind(' ');
  if (s1 == std::string::npos || s2 == s1) return false;
  req->method = line.substr(0, s1);
  req->target = line.substr(s1 + 1, s2 - s1 - 1);
  std::string version = line.substr(s2 + 1);
  if (version.rfind("HTTP/1.", 0) != 0) {
    *error = 505;
    return false;
  }
  if (version == "HTTP/1.0") req->headers["__http10"] = "1";
  std::string target = req->target;
  if (target.rfind("http://", 0) == 0) {  // absolute-form
    size_t slash = target.find('/', 7);
    target = slash == std::string::npos ? "/" : target.substr(slash);
  }
  if (target.empty() || target[0] != '/') return false;
  size_t q = target.find('?');
  req->path = PercentDecode(target.substr(0, q), false);
  if (q != std::string::npos) {
    req->raw_query = target.substr(q + 1);
    req->params = ParseQueryString(req->raw_query);
  }
  size_t p = line_end == std::string::npos ? head.size() : line_end + 1;
  while (p < head.size()) {
    size_t e = head.find('\n', p);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(p, e - p);
    p = e + 1;
    if (!h.empty() && h.back() == '\r') h.pop_back();
    if (h.empty()) continue;
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    std::string name = Lower(h.substr(0, colon));
    std::string value = Trim(std::string_view(h).substr(colon + 1));
    auto [it, fresh] = req->headers.emplace(name, value);
    if (!fresh) it->second += ", " + value;
  }
  std::string te = Lower(req->Header("transfer-encoding"));
  if (te.find("chunked") != std::string::npos) {
    req->chunked = true;
    req->content_length = -1;
  } else if (auto cl = req->Header("content-length"); !cl.empty()) {
    if (cl.size() > 18 || !std::all_of(cl.begin(), cl.end(),
                                       [](char c) { return std::isdigit(c); }))
      return false;
    req->content_length = std::stoll(cl);
  }
  req->body_left_ = req->chunked ? 0 : req->content_length;
  req->body_done_ = !req->chunked && req->content_length == 0;
  return true;
}

bool Connection::SendAll(const char* p, size_t n, bool shaped) {
  int64_t rate = server_->options_.bandwidth_bytes_per_s;
  // Slices of at most 1/50 s of the rate keep each sleep short, so a client
  // that gave up is noticed (send fails) within a few slices.
  size_t slice =
      shaped && rate > 0
          ? std::clamp<size_t>(static_cast<size_t>(rate / 50), 1, kShapedSlice)
          : kSendSlice;
  while (n > 0) {
    size_t take = std::min(n, slice);
    if (shaped && rate > 0) {
      auto elapsed = std::chrono::steady_clock::now() - shape_start_;
      int64_t due_us = shape_sent_ * 1000000 / rate;
      int64_t now_us =
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed)
              .count();
      if (due_us > now_us)
        std::this_thread::sleep_for(std::chrono::microseconds(due_us - now_us));
    }
    ssize_t r = ::send(fd_, p, take, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
    shape_sent_ += r;
    server_->counters_.bytes_sent += r;
  }
  return true;
}

// The connection ends with RST when its owner closes the socket (a
// shutdown() here would send a FIN first, which clients read as a clean
// close and silently retry).
void Connection::Abort() {
  linger lg{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

void Connection::WriteSimple(int status, const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    ReasonPhrase(status) +
                    "\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                    "Content-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  SendAll(out.data(), out.size(), false);
}

bool Connection::WriteResponse(const HttpRequest& req, HttpResponse& res) {
  SleepMs(res.delay_ms);
  if (res.fault == WireFault::kResetBeforeResponse) {
    Abort();
    return false;
  }
  int64_t length = res.blob ? res.blob_length : res.body.size();
  bool head_only = req.method == "HEAD" || res.status == 204 ||
                   res.status == 304 || (res.status >= 100 && res.status < 200);
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " +
                    ReasonPhrase(res.status) + "\r\n";
  for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
  if (res.chunked && !head_only) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (res.status != 204) {
    out += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  if (res.close_connection) out += "Connection: close\r\n";
  out += "\r\n";
  shape_start_ = std::chrono::steady_clock::now();
  shape_sent_ = 0;
  if (!SendAll(out.data(), out.size(), false)) return false;
  if (head_only) return true;

  // A mid-body fault cuts the body at half (at least after one byte).
  int64_t cut = res.fault == WireFault::kNone ? length : length / 2;
  int64_t sent = 0;
  std::vector<char> buf(res.blob ? std::min<int64_t>(kSendSlice, cut) : 0);
  auto emit = [&](const char* p, size_t n) {
    if (res.chunked) {
      char hdr[32];
      int h = std::snprintf(hdr, sizeof hdr, "%zx\r\n", n);
      if (!SendAll(hdr, h, false)) return false;
    }
    if (!SendAll(p, n, true)) return false;
    if (res.is_media) server_->counters_.media_bytes_sent += n;
    return !res.chunked || SendAll("\r\n", 2, false);
  };
  while (sent < cut) {
    size_t n = std::min<int64_t>(kSendSlice, cut - sent);
    const char* p;
    if (res.blob) {
      if (!res.blob->ReadAt(res.blob_offset + sent, buf.data(), n).ok()) {
        Abort();  // never send wrong bytes: cut the connection instead
        return false;
      }
      p = buf.data();
    } else {
      p = res.body.data() + sent;
    }
    if (!emit(p, n)) return false;
    sent += n;
  }
  if (res.fault == WireFault::kResetMidBody) {
    Abort();
    return false;
  }
  if (res.fault == WireFault::kTruncateMidBody) {
    ::shutdown(fd_, SHUT_RDWR);
    return false;
  }
  if (res.chunked && !SendAll("0\r\n\r\n", 5, false)) return false;
  return true;
}

void Connection::Run(const std::string& remote) {
  for (;;) {
    std::string head;
    if (!ReadHead(&head)) {
      if (in_.size() - pos_ > kMaxHeaderBytes)
        WriteSimple(431, "headers too large\n");
      return;
    }
    HttpRequest req;
    req.conn_ = this;
    req.remote_addr = remote;
    int error = 400;
    if (!ParseHead(head, &req, &error)) {
      WriteSimple(error, "malformed request\n");
      return;
    }
    bool has_body = req.chunked || req.content_length > 0;
    if (has_body && Lower(req.Header("expect")) == "100-continue") {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!SendAll(kContinue, sizeof kContinue - 1, false)) return;
    }
    HttpResponse res;
    try {
      server_->handler_(req, res);
    } catch (
        const std::exception& e) {  // a handler bug must not kill the server
      res = HttpResponse{};
      res.status = 500;
      res.SetHeader("Content-Type", "text/plain");
      res.body = std::string("internal error: ") + e.what() + "\n";
      res.close_connection = true;
    }
    // Swallow a small unread body so the connection stays usable.
    int64_t drained = 0;
    char buf[kReadChunk];
    while (!req.body_done_ && !req.body_error_ && drained < kMaxDrainBytes) {
      int64_t r = req.ReadBody(buf, sizeof buf);
      if (r <= 0) break;
      drained += r;
    }
    std::string conn_hdr = Lower(req.Header("connection"));
    bool close = res.close_connection || !req.body_done_ || req.body_error_ ||
                 conn_hdr == "close" ||
                 (req.headers.count("__http10") && conn_hdr != "keep-alive");
    res.close_connection = close;
    if (!WriteResponse(req, res) || close) return;
  }
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  Stop();
  // Closed only now: Serve() may still be in accept() on it until Stop()
  // returns and its owner has joined it (found by ThreadSanitizer).
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Result<int> HttpServer::Listen() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string port = std::to_string(options_.port);
  if (int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res))
    return InvalidArgumentError("bad --host " + options_.host + ": " +
                                gai_strerror(rc));
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
      ::listen(fd, 1024) != 0) {
    std::string err = std::strerror(errno);
    ::freeaddrinfo(res);
    if (fd >= 0) ::close(fd);
    return IoError("cannot listen on " + options_.host + ":" + port + ": " +
                   err);
  }
  ::freeaddrinfo(res);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int bound = addr.ss_family == AF_INET6
                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                  : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  listen_fd_ = fd;
  return bound;
}

void HttpServer::Serve() {
  while (!stopping_) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) break;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        SleepMs(10);
        continue;
      }
      break;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{options_.idle_timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char host[NI_MAXHOST] = "";
    ::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host,
                  nullptr, 0, NI_NUMERICHOST);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        ::close(fd);
        break;
      }
      open_fds_.insert(fd);
      ++live_threads_;
    }
    ++counters_.connections;
    std::thread([this, fd, remote = std::string(host)] {
      RunConnection(fd, remote);
    }).detach();
  }
}

void HttpServer::RunConnection(int fd, std::string remote) {
  {
    Connection conn(this, fd);
    conn.Run(remote);
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  ::close(fd);
  if (--live_threads_ == 0) idle_cv_.notify_all();
}

void HttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  // Wakes accept() in Serve(); the descriptor stays valid until the
  // destructor, so no other thread's new file can take its number.
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  std::unique_lock<std::mutex> lock(mu_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  idle_cv_.wait(lock, [this] { return live_threads_ == 0; });
}

}  // namespace gdmount::emulator
