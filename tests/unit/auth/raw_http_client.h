// A minimal blocking HTTP/1.1 client over a raw socket, for driving the
// LoopbackReceiver in tests exactly as a browser would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

namespace gdmount::auth::testing {

// Connects to 127.0.0.1:port; returns the fd or -1. A receive timeout keeps
// a broken server from hanging the test.
inline int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline bool SendString(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the server closes the connection.
inline std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Sends `request` verbatim and returns the whole answer ("" on failure).
inline std::string RawRequest(int port, const std::string& request) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  std::string answer = SendString(fd, request) ? ReadAll(fd) : "";
  close(fd);
  return answer;
}

inline std::string Get(int port, const std::string& target) {
  return RawRequest(port, "GET " + target +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
                              "test\r\nAccept: text/html\r\n\r\n");
}

}  // namespace gdmount::auth::testing
