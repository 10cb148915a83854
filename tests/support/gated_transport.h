// The real transport, except that one request with a given log name (the
// n-th from Hold(n)) waits before it is sent until Open(): a test holds a
// listing page or an upload chunk in flight at a known point.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

#include "gdmount/http_transport.h"

namespace gdmount::testing {

class GatedTransport : public HttpTransport {
 public:
  GatedTransport(HttpTransport* inner, std::string log_name)
      : inner_(inner), log_name_(std::move(log_name)) {}
  void Hold(int nth) {
    std::lock_guard<std::mutex> lock(mu_);
    countdown_ = nth;
  }
  void WaitHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (request.log_name == log_name_ && countdown_ > 0 && --countdown_ == 0) {
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    lock.unlock();
    return inner_->Send(request);
  }

 private:
  HttpTransport* inner_;
  const std::string log_name_;
  std::mutex mu_;
  std::condition_variable cv_;
  int countdown_ = 0;  // GUARDED_BY(mu_)
  bool held_ = false;  // GUARDED_BY(mu_)
  bool open_ = false;  // GUARDED_BY(mu_)
};

}  // namespace gdmount::testing
