// In-process emulator for integration tests: a real HttpServer on
// 127.0.0.1:<ephemeral> serving a real Emulator, and a small libcurl client.
// The clock is injectable (now_ms) so token expiry and session TTLs are
// tested without sleeping.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/emulator/emulator.h"

namespace gdmount::testing {

struct TestResponse {
  long status = 0;
  int curl_code = 0;  // CURLE_OK unless the transfer broke
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  nlohmann::json json() const {
    return nlohmann::json::parse(body, nullptr, false);
  }
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
  // errors[0].reason of a Drive error body ("" if none).
  std::string reason() const;
};

class EmulatorFixture {
 public:
  static constexpr const char* kToken = "test-token";

  // `setup` runs after Open() and before serving (seed here).
  explicit EmulatorFixture(
      emulator::EmulatorOptions options = {},
      std::function<void(emulator::Emulator&)> setup = nullptr,
      std::shared_ptr<emulator::Journal> journal = nullptr);
  ~EmulatorFixture();

  const std::string& url() const { return url_; }
  emulator::Emulator& emu() { return *emu_; }
  // Fake wall clock (ms since epoch); starts at 2026-01-01.
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  int64_t now_ms() const { return now_ms_; }

  // Authorised request to a path ("/drive/v3/files?...").
  TestResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "",
                    std::vector<std::string> headers = {});
  // Unauthenticated raw request.
  TestResponse Raw(const std::string& method, const std::string& path,
                   const std::string& body = "",
                   std::vector<std::string> headers = {});
  nlohmann::json Stats();

  // Convenience: creates a file with content by multipart upload.
  nlohmann::json Upload(
      const std::string& name, const std::string& bytes,
      const std::string& parent = "root",
      const std::string& fields = "id,name,size,md5Checksum,version,parents");
  nlohmann::json Mkdir(const std::string& name,
                       const std::string& parent = "root");
  // A file created from metadata alone (no content), as another client
  // would; any drive (supportsAllDrives).
  nlohmann::json CreateEmpty(const std::string& name,
                             const std::string& parent = "root");
  // files.update of metadata (`query` like "?addParents=X&removeParents=Y"),
  // and of content only (uploadType=media), as another client would; throw
  // unless Drive answers 200.
  nlohmann::json Patch(const std::string& id, const std::string& query,
                       const nlohmann::json& body);
  nlohmann::json PutContent(const std::string& id, const std::string& bytes);

 private:
  std::shared_ptr<std::atomic<int64_t>> clock_;
  std::atomic<int64_t>& now_ms_;
  std::unique_ptr<emulator::Emulator> emu_;
  std::unique_ptr<emulator::HttpServer> server_;
  std::thread serve_thread_;
  std::string url_;
};

// One HTTP request with libcurl (no Authorization unless in headers).
TestResponse HttpCall(const std::string& method, const std::string& url,
                      const std::string& body,
                      const std::vector<std::string>& headers);
// URL-encodes a query value.
std::string Q(const std::string& s);
std::string Md5Hex(const std::string& bytes);

}  // namespace gdmount::testing
