#include <catch2/catch.hpp>

#include "gdmount/http_transport.h"

namespace gdmount {
namespace {

TEST_CASE("Plain http is accepted only for loopback hosts", "[unit][http]") {
  for (const char* ok : {"https://www.googleapis.com/drive/v3/files",
                         "https://10.0.0.1/x", "http://127.0.0.1:8080/drive/v3",
                         "http://127.4.5.6/", "http://[::1]:9/",
                         "http://localhost:1234/token", "HTTP://LOCALHOST/"}) {
    INFO(ok);
    CHECK(CheckUrlAllowed(ok).ok());
  }
  for (const char* bad :
       {"http://www.googleapis.com/drive/v3", "http://10.0.0.1:80/",
        "http://128.0.0.1/", "http://localhost.evil.com/", "http://[::2]/",
        "http://127.0.0.1.nip.io/", "ftp://127.0.0.1/", "file:///etc/passwd",
        "127.0.0.1:8080", "", "http://"}) {
    INFO(bad);
    Status s = CheckUrlAllowed(bad);
    CHECK(s.code() == StatusCode::kInvalidArgument);
  }
  CHECK(CheckUrlAllowed("http://example.com/").message().find("https://") !=
        std::string::npos);
}

}  // namespace
}  // namespace gdmount
