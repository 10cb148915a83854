// Plain HTTP is for the emulator only: anything that can leave the machine
// must be TLS-verified (DESIGN.md section 5).
#include <arpa/inet.h>

#include "gdmount/http_transport.h"
#include "util/url.h"

namespace gdmount {
namespace {

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  return false;
}

}  // namespace

Status CheckUrlAllowed(std::string_view url) {
  auto parts = util::SplitUrl(url);
  if (!parts.ok())
    return InvalidArgumentError("malformed URL: " + parts.status().message());
  if (parts->scheme == "https") return Status::Ok();
  if (parts->scheme != "http")
    return InvalidArgumentError("unsupported URL scheme '" + parts->scheme +
                                "' (use https://)");
  if (IsLoopbackHost(parts->host)) return Status::Ok();
  return InvalidArgumentError(
      "plain http:// is only allowed for loopback hosts (127.0.0.1, ::1, "
      "localhost); use https:// for " +
      parts->host);
}

}  // namespace gdmount
