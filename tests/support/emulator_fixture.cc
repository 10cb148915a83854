#include "tests/support/emulator_fixture.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace gdmount::testing {
namespace {

constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00Z

size_t OnBody(char* p, size_t size, size_t n, void* user) {
  static_cast<TestResponse*>(user)->body.append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* user) {
  std::string line(p, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
      value.pop_back();
    static_cast<TestResponse*>(user)->headers[name] = value;
  }
  return size * n;
}

}  // namespace

TestResponse HttpCall(const std::string& method, const std::string& url,
                      const std::string& body,
                      const std::vector<std::string>& headers) {
  TestResponse r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (method != "GET" && method != "DELETE") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  r.curl_code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return r;
}

std::string TestResponse::reason() const {
  auto j = json();
  if (j.is_discarded() || !j.contains("error")) return "";
  const auto& errs = j["error"].value("errors", nlohmann::json::array());
  return errs.empty() ? "" : errs[0].value("reason", "");
}

EmulatorFixture::EmulatorFixture(emulator::EmulatorOptions options,
                                 std::function<void(emulator::Emulator&)> setup,
                                 std::shared_ptr<emulator::Journal> journal)
    : clock_(std::make_shared<std::atomic<int64_t>>(kStartMs)),
      now_ms_(*clock_) {
  auto clock = clock_;
  options.store.now_ms = [clock] { return clock->load(); };
  options.oauth.static_tokens.push_back(kToken);
  if (!journal) journal = std::move(emulator::Journal::Ephemeral().value());
  emu_ = std::make_unique<emulator::Emulator>(options, journal);
  if (!emu_->Open().ok()) throw std::runtime_error("emulator Open failed");
  if (setup) setup(*emu_);
  emulator::HttpServerOptions http;
  http.bandwidth_bytes_per_s = options.shaping.bandwidth_bytes_per_s;
  server_ = std::make_unique<emulator::HttpServer>(
      http, [this](emulator::HttpRequest& req, emulator::HttpResponse& res) {
        emu_->Handle(req, res);
      });
  auto port = server_->Listen();
  if (!port.ok()) throw std::runtime_error(port.status().ToString());
  url_ = "http://127.0.0.1:" + std::to_string(*port);
  emu_->set_public_url(url_);
  emu_->set_http_counters(&server_->counters());
  serve_thread_ = std::thread([this] { server_->Serve(); });
}

EmulatorFixture::~EmulatorFixture() {
  server_->Stop();
  serve_thread_.join();
}

TestResponse EmulatorFixture::Call(const std::string& method,
                                   const std::string& path,
                                   const std::string& body,
                                   std::vector<std::string> headers) {
  headers.push_back(std::string("Authorization: Bearer ") + kToken);
  return HttpCall(method, url_ + path, body, headers);
}

TestResponse EmulatorFixture::Raw(const std::string& method,
                                  const std::string& path,
                                  const std::string& body,
                                  std::vector<std::string> headers) {
  return HttpCall(method, url_ + path, body, headers);
}

nlohmann::json EmulatorFixture::Stats() {
  return Raw("GET", "/__emulator/stats").json();
}

nlohmann::json EmulatorFixture::Upload(const std::string& name,
                                       const std::string& bytes,
                                       const std::string& parent,
                                       const std::string& fields) {
  nlohmann::json md = {{"name", name}, {"parents", {parent}}};
  std::string body =
      "--b0undary\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
      md.dump() +
      "\r\n--b0undary\r\nContent-Type: application/octet-stream\r\n\r\n" +
      bytes + "\r\n--b0undary--\r\n";
  auto r = Call(
      "POST", "/upload/drive/v3/files?uploadType=multipart&fields=" + Q(fields),
      body, {"Content-Type: multipart/related; boundary=b0undary"});
  if (r.status != 200) throw std::runtime_error("upload failed: " + r.body);
  return r.json();
}

nlohmann::json EmulatorFixture::Patch(const std::string& id,
                                      const std::string& query,
                                      const nlohmann::json& body) {
  auto r = Call("PATCH", "/drive/v3/files/" + id + query, body.dump(),
                {"Content-Type: application/json"});
  if (r.status != 200) throw std::runtime_error("update failed: " + r.body);
  return r.json();
}

nlohmann::json EmulatorFixture::PutContent(const std::string& id,
                                           const std::string& bytes) {
  auto r = Call("PATCH", "/upload/drive/v3/files/" + id + "?uploadType=media",
                bytes, {"Content-Type: application/octet-stream"});
  if (r.status != 200)
    throw std::runtime_error("content update failed: " + r.body);
  return r.json();
}

nlohmann::json EmulatorFixture::CreateEmpty(const std::string& name,
                                            const std::string& parent) {
  nlohmann::json md = {
      {"name", name}, {"parents", {parent}}, {"mimeType", "text/plain"}};
  auto r = Call("POST", "/drive/v3/files?supportsAllDrives=true", md.dump(),
                {"Content-Type: application/json"});
  if (r.status != 200) throw std::runtime_error("create failed: " + r.body);
  return r.json();
}

nlohmann::json EmulatorFixture::Mkdir(const std::string& name,
                                      const std::string& parent) {
  nlohmann::json md = {{"name", name},
                       {"mimeType", "application/vnd.google-apps.folder"},
                       {"parents", {parent}}};
  auto r = Call("POST", "/drive/v3/files?fields=id,name,parents", md.dump(),
                {"Content-Type: application/json"});
  if (r.status != 200) throw std::runtime_error("mkdir failed: " + r.body);
  return r.json();
}

std::string Q(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string out(e);
  curl_free(e);
  return out;
}

std::string Md5Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_md5(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

}  // namespace gdmount::testing
