#include "auth/loopback_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "util/strings.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

using Query = std::map<std::string, std::string>;
using SteadyTime = std::chrono::steady_clock::time_point;

// A redirect request is a few hundred bytes; browsers add ~1-2 KiB of
// headers. Anything past this is not a browser coming back.
constexpr size_t kMaxRequestBytes = 16 * 1024;
// Time a connected client gets to deliver its request line and headers.
constexpr std::chrono::seconds kConnectionReadTimeout{5};
// Browsers open a few speculative connections; beyond this, the oldest
// idle one is dropped.
constexpr size_t kMaxConnections = 8;
constexpr int kListenBacklog = 16;
// Answers are < 1 KiB; a client that does not take them is dropped.
constexpr int kSendPollMs = 100;
constexpr int kSendPollAttempts = 10;
// poll() takes an int; the loop re-polls after this.
constexpr int64_t kMaxPollMs = 60 * 60 * 1000;

constexpr const char* kSignedInPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>gdmount"
    "</title></head><body><p>Signed in to gdmount. You can close this tab."
    "</p></body></html>\n";

std::string DurationText(std::chrono::milliseconds d) {
  if (d < std::chrono::seconds(1)) return std::to_string(d.count()) + " ms";
  return std::to_string(d.count() / 1000) + " s";
}

std::string HttpAnswer(int status, const char* reason,
                       const std::string& html) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
         std::to_string(html.size()) +
         "\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer"
         "\r\nConnection: close\r\n\r\n" +
         html;
}

// Best effort: the answer is a courtesy to the browser, not a requirement.
void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  for (int attempts = 0; off < data.size() && attempts < kSendPollAttempts;) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, kSendPollMs);
      ++attempts;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

// The decoded query of a "GET /...?query HTTP/1.x" request if it carries
// `code` or `error`; nullopt for anything else.
std::optional<Query> RedirectQuery(const std::string& request) {
  std::string line = request.substr(0, request.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos ||
      line.compare(0, sp1, "GET") != 0) {
    return std::nullopt;
  }
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  std::string query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  Result<Query> parsed = util::ParseQuery(query);
  if (!parsed.ok() ||
      (parsed->count("code") == 0 && parsed->count("error") == 0)) {
    return std::nullopt;
  }
  return std::move(*parsed);
}

struct Connection {
  int fd;
  std::string request;
  SteadyTime deadline;
};

enum class Progress { kNeedMore, kDone, kRedirect };

// Reads what the client has sent; answers once the headers are complete.
Progress Service(Connection& c, const std::string& expected_state,
                 Query* redirect) {
  char buf[4096];
  bool eof = false;
  for (;;) {
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.request.append(buf, static_cast<size_t>(n));
      if (c.request.size() > kMaxRequestBytes) {
        SendAll(c.fd, HttpAnswer(431, "Request Header Fields Too Large", ""));
        return Progress::kDone;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    break;
  }
  bool complete = c.request.find("\r\n\r\n") != std::string::npos ||
                  c.request.find("\n\n") != std::string::npos;
  if (!complete) return eof ? Progress::kDone : Progress::kNeedMore;
  std::optional<Query> query = RedirectQuery(c.request);
  if (!query) {
    SendAll(c.fd, HttpAnswer(404, "Not Found", "<p>Not found.</p>\n"));
    return Progress::kDone;
  }
  auto state = query->find("state");
  if (!expected_state.empty() &&
      (state == query->end() || state->second != expected_state)) {
    // Another attempt's (or a forged) redirect: refuse it, keep waiting.
    SendAll(c.fd, HttpAnswer(400, "Bad Request",
                             "<p>This sign-in response belongs to another "
                             "attempt; it was ignored.</p>\n"));
    return Progress::kDone;
  }
  auto error = query->find("error");
  SendAll(c.fd, error == query->end()
                    ? HttpAnswer(200, "OK", kSignedInPage)
                    : HttpAnswer(200, "OK",
                                 "<p>Sign-in failed: " +
                                     util::HtmlEscape(error->second) +
                                     ". You can close this tab; the terminal "
                                     "says what to do next.</p>\n"));
  *redirect = std::move(*query);
  return Progress::kRedirect;
}

// The clients being read; closes them all when destroyed.
class ConnectionSet {
 public:
  ~ConnectionSet() {
    for (const Connection& c : conns_) close(c.fd);
  }

  void AcceptAll(int listen_fd, SteadyTime now) {
    for (;;) {
      int fd =
          accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a client that already went away
      if (conns_.size() >= kMaxConnections) Drop(0);
      conns_.push_back({fd, "", now + kConnectionReadTimeout});
    }
  }

  void DropExpired(SteadyTime now) {
    for (size_t i = conns_.size(); i-- > 0;) {
      if (conns_[i].deadline <= now) Drop(i);
    }
  }

  // The listening socket first, then one entry per connection.
  std::vector<pollfd> PollSet(int listen_fd) const {
    std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
    for (const Connection& c : conns_) fds.push_back({c.fd, POLLIN, 0});
    return fds;
  }

  SteadyTime NextDeadline(SteadyTime deadline) const {
    for (const Connection& c : conns_)
      deadline = std::min(deadline, c.deadline);
    return deadline;
  }

  // Services connections that poll() reported; true once a redirect came.
  bool ServiceReady(const std::vector<pollfd>& fds,
                    const std::string& expected_state, Query* redirect) {
    for (size_t i = conns_.size(); i-- > 0;) {
      if (fds[i + 1].revents == 0) continue;
      Progress p = Service(conns_[i], expected_state, redirect);
      if (p == Progress::kRedirect) return true;
      if (p == Progress::kDone) Drop(i);
    }
    return false;
  }

 private:
  void Drop(size_t i) {
    close(conns_[i].fd);
    conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  std::vector<Connection> conns_;
};

}  // namespace

Result<std::unique_ptr<LoopbackReceiver>> LoopbackReceiver::Start(
    Clock& clock) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, kListenBacklog) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Status s = IoError(std::string("cannot listen on 127.0.0.1: ") +
                       std::strerror(errno));
    close(fd);
    return s;
  }
  return std::unique_ptr<LoopbackReceiver>(
      new LoopbackReceiver(clock, fd, ntohs(addr.sin_port)));
}

LoopbackReceiver::~LoopbackReceiver() { close(listen_fd_); }

std::string LoopbackReceiver::redirect_uri() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

Result<std::map<std::string, std::string>> LoopbackReceiver::WaitForRedirect(
    std::chrono::milliseconds timeout, const std::string& expected_state) {
  const SteadyTime deadline = clock_.SteadyNow() + timeout;
  ConnectionSet conns;
  for (SteadyTime now = clock_.SteadyNow(); now < deadline;
       now = clock_.SteadyNow()) {
    conns.DropExpired(now);
    std::vector<pollfd> fds = conns.PollSet(listen_fd_);
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(
        conns.NextDeadline(deadline) - now);
    int rc =
        poll(fds.data(), fds.size(),
             static_cast<int>(std::min<int64_t>(wait.count(), kMaxPollMs)));
    if (rc < 0 && errno != EINTR) {
      return IoError(std::string("poll: ") + std::strerror(errno));
    }
    if (rc <= 0) continue;
    Query redirect;
    if (conns.ServiceReady(fds, expected_state, &redirect)) return redirect;
    if (fds[0].revents & POLLIN) conns.AcceptAll(listen_fd_, now);
  }
  return Status(StatusCode::kCancelled,
                "no sign-in arrived from the browser within " +
                    DurationText(timeout) + ": run `gdmount auth` again");
}

}  // namespace gdmount::auth
