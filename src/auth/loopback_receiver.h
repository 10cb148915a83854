// The loopback redirect listener of the installed-app flow (RFC 8252
// section 7.3): a tiny HTTP server on 127.0.0.1:<ephemeral port> that waits
// for the browser to come back with ?code=...&state=... (or ?error=...).
//
// Design: one thread, plain POSIX sockets, poll() with deadlines. Up to
// kMaxConnections clients are read concurrently (browsers open idle
// speculative connections), each with its own read deadline and a 16 KiB
// request cap, so a silent or garbage-sending client cannot block the real
// redirect. Requests without `code` or `error` in the query (favicon.ico,
// probes) get a 404 and are otherwise ignored. Every connection is closed
// after one answer. The query is returned as is: checking `state` is the
// caller's job (oauth_client.h: CodeFromRedirectQuery).
//
// Thread safety: thread-compatible (one thread calls WaitForRedirect).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "gdmount/clock.h"
#include "gdmount/result.h"

namespace gdmount::auth {

class LoopbackReceiver {
 public:
  // Binds 127.0.0.1:0 and listens. `clock` (for deadlines) must outlive
  // the receiver and must advance with real time, because poll() waits in
  // real time (a FakeClock that only moves on demand would never time
  // out). Errors: Io if the socket cannot be created or bound.
  static Result<std::unique_ptr<LoopbackReceiver>> Start(
      Clock& clock = *RealClock());

  ~LoopbackReceiver();
  LoopbackReceiver(const LoopbackReceiver&) = delete;
  LoopbackReceiver& operator=(const LoopbackReceiver&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT/": the redirect_uri to register in the request.
  std::string redirect_uri() const;

  // Serves requests until one carries `code` or `error` in its query, then
  // answers it with a small HTML page (200 "Signed in to gdmount. You can
  // close this tab.", or an error page) and returns its decoded query.
  // Errors: Cancelled when `timeout` passes first; Io if poll/accept fail
  // for a reason other than a signal or a vanished client.
  // With a non-empty `expected_state`, a redirect carrying another state
  // (a stale tab, a forged request) gets a 400 page and is ignored: the
  // wait goes on for the real one.
  Result<std::map<std::string, std::string>> WaitForRedirect(
      std::chrono::milliseconds timeout,
      const std::string& expected_state = "");

 private:
  LoopbackReceiver(Clock& clock, int fd, int port)
      : clock_(clock), listen_fd_(fd), port_(port) {}

  Clock& clock_;
  const int listen_fd_;
  const int port_;
};

}  // namespace gdmount::auth
