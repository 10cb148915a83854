// Emulator: the Drive v3 service as one request handler.
//
// Data flow for one request:
//   HttpServer -> Emulator::Handle -> route (method id, e.g. "files.list")
//     -> stats, auth (Bearer token), rate limit, fault injection, shaping
//     -> parameter validation against the discovery document
//     -> handler (api_*.cc) -> Store / UploadSessions / OAuthServer
//     -> `fields` mask -> JSON response (or a blob stream for media).
// Everything Drive-specific (paths, error bodies, parameter names) lives in
// the handlers; the Store knows Drive's semantics, not HTTP.
// Thread-safe: Handle() runs concurrently on connection threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/emulator/api_error.h"
#include "tests/emulator/faults.h"
#include "tests/emulator/fields.h"
#include "tests/emulator/http_server.h"
#include "tests/emulator/oauth.h"
#include "tests/emulator/render.h"
#include "tests/emulator/store.h"
#include "tests/emulator/uploads.h"

namespace gdmount::emulator {

struct EmulatorOptions {
  StoreOptions store;
  OAuthOptions oauth;
  ShapingOptions shaping;
  std::vector<FaultRule> faults;
  RateLimitOptions rate_limit;
  uint64_t random_seed = 1;
  bool strict_params = true;  // unknown query parameters -> 400
  bool short_pages = false;   // files.list returns short/empty pages
  bool gzip = true;           // gzip JSON when asked as Google documents
  UploadOptions uploads;
  int64_t export_limit_bytes = 10LL << 20;  // Drive: "10 MB"
  size_t max_json_body = 16 << 20;
};

// Per-request state shared by the handlers.
struct Call {
  HttpRequest& req;
  HttpResponse& res;
  std::string method;        // "files.list", "files.get.media", ...
  std::string discovery_id;  // "files.get" (parameter table)
  Scope scope;
  std::string path_id;  // {fileId} / {driveId} from the path
  std::string fields;   // raw `fields` parameter ("" = absent)
  bool has_fields = false;
  // `prettyPrint` (a system parameter, default true): indented JSON or not.
  bool pretty = true;
  // A body fault decided for this request, applied by SendJson to a 2xx body.
  std::optional<FaultRule> body_fault;
};

class Emulator {
 public:
  Emulator(EmulatorOptions options, std::shared_ptr<Journal> journal);
  ~Emulator();

  // Loads persisted state. REQUIRES: before serving.
  Status Open();
  // Base URL clients reach us at ("http://127.0.0.1:PORT"), for Location
  // headers and the discovery document's rootUrl.
  // The URL clients reach this emulator at; its /token is also accepted
  // as a JWT audience. Call before serving.
  void set_public_url(std::string url) {
    public_url_ = std::move(url);
    oauth_->AddTokenAudience(public_url_ + "/token");
  }
  const std::string& public_url() const { return public_url_; }
  void set_http_counters(HttpCounters* c) { http_counters_ = c; }

  void Handle(HttpRequest& req, HttpResponse& res);

  nlohmann::json Stats() const;
  void ResetStats();
  // Compacts the journal and saves tokens (clean shutdown).
  Status Checkpoint();

  Store& store() { return *store_; }
  OAuthServer& oauth() { return *oauth_; }
  FaultInjector& faults() { return faults_; }
  const EmulatorOptions& options() const { return options_; }

 private:
  // Routing and the common request pipeline (emulator.cc).
  bool Route(HttpRequest& req, Call* call);
  bool Authorize(Call& call);
  bool ApplyFaults(Call& call);
  bool ValidateParams(Call& call);
  void Dispatch(Call& call);
  void Count(const std::string& method, const std::string& kind);

  // Responses.
  void SendError(Call& call, const ApiError& e);
  // An OAuth server answer (auth pages, /token, 401s) as the response.
  void SendAnswer(Call& call, const OAuthServer::HttpAnswer& answer);
  // Sends `body` trimmed by the request's `fields`; pass a large body by
  // std::move so that it is trimmed in place, not copied.
  void SendJson(Call& call, int status, nlohmann::json body,
                const std::string& schema);
  // Sends already serialized JSON (`text` ends with a newline).
  void SendJsonText(Call& call, int status, std::string text);
  std::optional<FieldMask> ParseFields(Call& call, const std::string& schema);
  RenderContext FileRenderContext() const;
  nlohmann::json FileJson(const FileRecord& f, const FieldMask* only) const;
  // Sends one File resource, trimmed to the request's `fields` (or Drive's
  // default fields when there are none).
  void SendFile(Call& call, const FileRecord& f);
  // The mask for items nested under `path` of a list response (e.g.
  // {"files"} or {"changes", "file"}): the default file mask without
  // `fields`, nullopt when the items are not selected at all.
  std::optional<FieldMask> ItemMask(
      const Call& call, std::initializer_list<std::string_view> path) const;

  // Handlers (api_files.cc).
  void FilesList(Call& call);
  // files.list's answer for `page`, written straight to text.
  void SendFileList(Call& call, const ListPage& page);
  void FilesGet(Call& call);
  void FilesGetMedia(Call& call, const FileRecord& f);
  void FilesExport(Call& call);
  void FilesCreate(Call& call);
  void FilesUpdate(Call& call);
  void FilesDelete(Call& call);
  void FilesCopy(Call& call);
  void FilesEmptyTrash(Call& call);
  void FilesGenerateIds(Call& call);
  // Uploads (api_upload.cc).
  void Upload(Call& call);
  void UploadSimple(Call& call, bool multipart);
  void UploadResumableStart(Call& call);
  void UploadChunk(Call& call, const std::string& upload_id);
  ApiOr<FileRecord> FinishUpload(Call& call, const nlohmann::json& metadata,
                                 std::optional<NewContent> content,
                                 const std::string& file_id,
                                 const std::string& add_parents,
                                 const std::string& remove_parents);
  // Other resources (api_misc.cc).
  void AboutGet(Call& call);
  void ChangesList(Call& call);
  void ChangesStartPageToken(Call& call);
  void DrivesList(Call& call);
  void DrivesGet(Call& call);
  void Discovery(Call& call);
  void OAuthRoute(Call& call);
  void AdminRoute(Call& call);
  void HandleCall(HttpRequest& req, HttpResponse& res);
  void SaveOAuthState();

  // Query-parameter helpers: typed, with Drive's 400 on bad values.
  bool BoolParam(Call& call, const char* name, bool def, bool* out);
  bool IntParam(Call& call, const char* name, int64_t def, int64_t lo,
                int64_t hi, int64_t* out);
  std::string StrParam(const Call& call, const char* name) const;
  bool ReadJsonBody(Call& call, nlohmann::json* out);

  EmulatorOptions options_;
  std::shared_ptr<Journal> journal_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OAuthServer> oauth_;
  std::unique_ptr<UploadSessions> uploads_;
  FaultInjector faults_;
  nlohmann::json discovery_;  // the official discovery document
  std::string public_url_;
  HttpCounters* http_counters_ = nullptr;

  mutable std::mutex stats_mu_;
  std::map<std::string, int64_t> by_method_;  // GUARDED_BY(stats_mu_)
  std::map<std::string, int64_t> by_kind_;
  std::map<std::string, int64_t> by_status_;
  std::map<std::string, int64_t> faults_fired_;
  int64_t rate_limited_ = 0;
  int64_t requests_ = 0;
  int64_t base_bytes_sent_ = 0, base_media_bytes_ = 0, base_bytes_received_ = 0;
};

}  // namespace gdmount::emulator
