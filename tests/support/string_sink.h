// A BodySink that keeps everything it is given, for tests.
#pragma once

#include <string>

#include "gdmount/http_transport.h"

namespace gdmount::testing {

class StringSink : public BodySink {
 public:
  Status Write(const char* d, size_t n) override {
    data.append(d, n);
    return Status::Ok();
  }
  std::string data;
};

}  // namespace gdmount::testing
