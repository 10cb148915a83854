#include "tests/emulator/emulator.h"

#include <strings.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "tests/emulator/discovery.h"
#include "tests/emulator/gzip.h"
#include "tests/emulator/ids.h"
#include "tests/emulator/render.h"

namespace gdmount::emulator {

namespace {

bool IsJson(const HttpResponse& res) {
  for (const auto& [name, value] : res.headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0)
      return value.rfind("application/json", 0) == 0;
  }
  return false;
}

constexpr const char* kJsonType = "application/json; charset=UTF-8";

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < path.size()) {
    size_t e = path.find('/', p);
    if (e == std::string::npos) e = path.size();
    if (e > p) out.push_back(path.substr(p, e - p));
    p = e + 1;
  }
  return out;
}

// The File fields the discovery document marks "Output only".
std::set<std::string> ReadOnlyFileFields(const nlohmann::json& disc) {
  std::set<std::string> out;
  const auto& props = disc["schemas"]["File"]["properties"];
  for (auto it = props.begin(); it != props.end(); ++it) {
    std::string d = it.value().value("description", "");
    if (d.rfind("Output only", 0) == 0 || it.value().value("readOnly", false))
      out.insert(it.key());
  }
  out.erase("id");  // writable with an id from files.generateIds
  return out;
}

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Emulator::Emulator(EmulatorOptions options, std::shared_ptr<Journal> journal)
    : options_(std::move(options)),
      journal_(std::move(journal)),
      faults_(options_.faults, options_.rate_limit, options_.random_seed) {
  discovery_ = nlohmann::json::parse(kDriveDiscoveryJson, nullptr, false);
  if (!options_.store.now_ms) options_.store.now_ms = WallNowMs;
  options_.store.read_only_fields = ReadOnlyFileFields(discovery_);
  store_ = std::make_unique<Store>(options_.store, journal_);
  oauth_ = std::make_unique<OAuthServer>(options_.oauth, options_.store.now_ms,
                                         [] { return RandomUrlSafe(43); });
  uploads_ = std::make_unique<UploadSessions>(options_.uploads, journal_,
                                              options_.store.now_ms);
}

Emulator::~Emulator() = default;

Status Emulator::Open() {
  if (discovery_.is_discarded())
    return gdmount::InternalError("embedded discovery document is invalid");
  if (Status s = store_->Open(); !s.ok()) return s;
  if (Status s = uploads_->Restore(); !s.ok()) return s;
  if (journal_->persistent()) {
    std::ifstream in(std::filesystem::path(journal_->blob_dir()).parent_path() /
                     "oauth.json");
    if (in) {
      auto snap = nlohmann::json::parse(in, nullptr, false);
      if (!snap.is_discarded()) (void)oauth_->Restore(snap);
    }
  }
  return Status();
}

void Emulator::SaveOAuthState() {
  if (!journal_->persistent()) return;
  auto dir = std::filesystem::path(journal_->blob_dir()).parent_path();
  std::string tmp = (dir / "oauth.json.tmp").string();
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << oauth_->Snapshot().dump();
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read |
                                        std::filesystem::perms::owner_write);
  std::error_code ec;
  std::filesystem::rename(tmp, dir / "oauth.json", ec);
}

Status Emulator::Checkpoint() {
  SaveOAuthState();
  return store_->Checkpoint(uploads_->CheckpointRecords());
}

// Maps a request to a Drive method id. False: not a Drive route (the caller
// answers 404).
bool Emulator::Route(HttpRequest& req, Call* c) {
  std::vector<std::string> seg = SplitPath(req.path);
  const std::string& m = req.method;
  auto is = [&](std::initializer_list<const char*> want) {
    if (seg.size() != want.size()) return false;
    size_t i = 0;
    for (const char* w : want) {
      if (std::string(w) != "*" && seg[i] != w) return false;
      ++i;
    }
    return true;
  };
  auto set = [&](const char* method, const char* disc) {
    c->method = method;
    c->discovery_id = disc;
    return true;
  };
  bool upload = is({"upload", "drive", "v3", "files"}) ||
                is({"upload", "drive", "v3", "files", "*"}) ||
                is({"resumable", "upload", "drive", "v3", "files"}) ||
                is({"resumable", "upload", "drive", "v3", "files", "*"});
  if (upload) {
    if (seg.size() == 5 || seg.size() == 6) c->path_id = seg.back();
    if (req.Param("upload_id")) return set("upload.chunk", "");
    if (seg.size() == 4 || (seg[0] == "resumable" && seg.size() == 5))
      return m == "POST" ? set("files.create", "files.create") : set("", "");
    return m == "PATCH" || m == "PUT" ? set("files.update", "files.update")
                                      : set("", "");
  }
  if (seg.size() >= 3 && seg[0] == "drive" && seg[1] == "v3") {
    if (is({"drive", "v3", "files"}))
      return m == "GET"    ? set("files.list", "files.list")
             : m == "POST" ? set("files.create", "files.create")
                           : set("", "");
    if (is({"drive", "v3", "files", "generateIds"}) && m == "GET")
      return set("files.generateIds", "files.generateIds");
    if (is({"drive", "v3", "files", "trash"}) && m == "DELETE")
      return set("files.emptyTrash", "files.emptyTrash");
    if (is({"drive", "v3", "files", "*"})) {
      c->path_id = seg[3];
      if (m == "GET") {
        const std::string* alt = req.Param("alt");
        return alt && *alt == "media" ? set("files.get.media", "files.get")
                                      : set("files.get", "files.get");
      }
      if (m == "PATCH") return set("files.update", "files.update");
      if (m == "DELETE") return set("files.delete", "files.delete");
      return set("", "");
    }
    if (is({"drive", "v3", "files", "*", "copy"}) && m == "POST") {
      c->path_id = seg[3];
      return set("files.copy", "files.copy");
    }
    if (is({"drive", "v3", "files", "*", "export"}) && m == "GET") {
      c->path_id = seg[3];
      return set("files.export", "files.export");
    }
    if (is({"drive", "v3", "about"}) && m == "GET")
      return set("about.get", "about.get");
    if (is({"drive", "v3", "changes"}) && m == "GET")
      return set("changes.list", "changes.list");
    if (is({"drive", "v3", "changes", "startPageToken"}) && m == "GET")
      return set("changes.getStartPageToken", "changes.getStartPageToken");
    if (is({"drive", "v3", "drives"}) && m == "GET")
      return set("drives.list", "drives.list");
    if (is({"drive", "v3", "drives", "*"}) && m == "GET") {
      c->path_id = seg[3];
      return set("drives.get", "drives.get");
    }
    return set("unimplemented", "");
  }
  if (req.path == "/discovery/v1/apis/drive/v3/rest")
    return set("discovery", "");
  if (req.path == "/o/oauth2/v2/auth" || req.path == "/token" ||
      req.path == "/revoke" || req.path == "/o/oauth2/revoke")
    return set("oauth", "");
  if (seg.size() == 2 && seg[0] == "__emulator") return set("admin", "");
  return false;
}

void Emulator::Count(const std::string& method, const std::string& kind) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++requests_;
  ++by_method_[method];
  ++by_kind_[kind];
}

void Emulator::Handle(HttpRequest& req, HttpResponse& res) {
  HandleCall(req, res);
  // JSON bodies only: media is sent from blobs, byte-exact.
  if (options_.gzip && !res.is_media && !res.blob && !res.chunked &&
      res.body.size() > 0 && IsJson(res) &&
      WantsGzip(req.Header("accept-encoding"), req.Header("user-agent"))) {
    res.body = Gzip(res.body);
    res.SetHeader("Content-Encoding", "gzip");
  }
}

void Emulator::HandleCall(HttpRequest& req, HttpResponse& res) {
  Call call{req, res, "", "", Scope{}, "", "", false, true, std::nullopt};
  if (!Route(req, &call)) {
    call.res.status = 404;
    call.res.SetHeader("Content-Type", "text/html; charset=UTF-8");
    call.res.body =
        "<!DOCTYPE html><title>Error 404 (Not Found)</title>"
        "<p>The requested URL was not found on this server.\n";
    return;
  }
  if (call.method == "admin") return AdminRoute(call);
  if (call.method == "discovery") return Discovery(call);
  if (call.method == "oauth") {
    Count("oauth." + std::string(req.path == "/token" ? "token" : "other"),
          "oauth");
    return OAuthRoute(call);
  }
  std::string kind =
      call.method == "files.get.media" || call.method == "files.export"
          ? "media"
      : call.method == "upload.chunk" || req.path.rfind("/upload/", 0) == 0 ||
              req.path.rfind("/resumable/", 0) == 0
          ? "upload"
          : "metadata";
  Count(call.method.empty() ? "unsupported" : call.method, kind);
  call.res.delay_ms = kind == "media" ? options_.shaping.media_latency_ms
                                      : options_.shaping.metadata_latency_ms;
  call.res.is_media = kind == "media";
  if (call.method.empty()) {
    return SendError(call, ApiError{405, "httpMethodNotAllowed",
                                    "Method Not Allowed", "global", "", ""});
  }
  if (call.method == "unimplemented") {
    return SendError(call, ApiError{501, "notImplemented",
                                    "Not implemented by gdmount-emulator: " +
                                        req.method + " " + req.path,
                                    "global", "", ""});
  }
  // A resumable session URI is a capability: it needs no Authorization.
  bool authorized = call.method == "upload.chunk" || Authorize(call);
  if (authorized && ApplyFaults(call) && ValidateParams(call)) Dispatch(call);
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++by_status_[std::to_string(res.status)];
}

bool Emulator::Authorize(Call& call) {
  std::string header = call.req.Header("authorization");
  if (header.empty()) {
    if (const std::string* t = call.req.Param("access_token"))
      header = "Bearer " + *t;
    else if (const std::string* o = call.req.Param("oauth_token"))
      header = "Bearer " + *o;
  }
  auto denied = oauth_->Authenticate(header);
  if (!denied) return true;
  SendAnswer(call, *denied);
  return false;
}

bool Emulator::ApplyFaults(Call& call) {
  auto fire = [&](const std::string& name) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++faults_fired_[name];
  };
  if (faults_.OverRateLimit(options_.store.now_ms())) {
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++rate_limited_;
    }
    const auto& rl = faults_.rate_limit();
    if (rl.status == 429) {
      ApiError e{
          429, "rateLimitExceeded", "Too Many Requests", "usageLimits", "", ""};
      e.retry_after_s = rl.retry_after_s;
      SendError(call, e);
    } else {
      SendError(call, Forbidden("userRateLimitExceeded",
                                "User rate limit exceeded.", "usageLimits"));
    }
    return false;
  }
  auto rule = faults_.Decide(call.method, call.res.is_media);
  if (!rule) return true;
  fire(FaultKindName(rule->kind));
  switch (rule->kind) {
    case FaultKind::kStatus500:
      SendError(call, ApiError{500, "internalError", "Internal Error", "global",
                               "", ""});
      return false;
    case FaultKind::kStatus502:
      SendError(call,
                ApiError{502, "badGateway", "Bad Gateway", "global", "", ""});
      return false;
    case FaultKind::kStatus503:
      SendError(call, ApiError{503, "backendError", "Backend Error", "global",
                               "", ""});
      return false;
    case FaultKind::kStatus504:
      SendError(call, ApiError{504, "backendError", "Gateway Timeout", "global",
                               "", ""});
      return false;
    case FaultKind::kRateLimit403:
      SendError(call, Forbidden("userRateLimitExceeded",
                                "User rate limit exceeded.", "usageLimits"));
      return false;
    case FaultKind::kRateLimit429: {
      ApiError e{
          429, "rateLimitExceeded", "Too Many Requests", "usageLimits", "", ""};
      e.retry_after_s = faults_.rate_limit().retry_after_s;
      SendError(call, e);
      return false;
    }
    case FaultKind::kUnauthorized: {
      std::string header = call.req.Header("authorization");
      std::string token = header.size() > 7 ? header.substr(7) : "";
      oauth_->RevokeAccessToken(token);
      auto denied = oauth_->Authenticate("Bearer " + token);
      if (!denied) denied = oauth_->Authenticate("Bearer \x01invalid");
      SendAnswer(call, *denied);
      return false;
    }
    case FaultKind::kReset:
      // The request is processed; the client never sees the answer (a
      // mid-body cut for media, no response at all otherwise).
      call.res.fault = call.res.is_media ? WireFault::kResetMidBody
                                         : WireFault::kResetBeforeResponse;
      return true;
    case FaultKind::kTruncate:
      call.res.fault = WireFault::kTruncateMidBody;
      return true;
    case FaultKind::kMalformed:
    case FaultKind::kOmit:
    case FaultKind::kBadSize:
      call.body_fault = *rule;  // the request runs; SendJson damages the body
      return true;
  }
  return true;
}

void Emulator::Dispatch(Call& call) {
  const std::string& m = call.method;
  if (m == "upload.chunk")
    return UploadChunk(call, *call.req.Param("upload_id"));
  if (call.req.path.rfind("/upload/", 0) == 0 ||
      call.req.path.rfind("/resumable/", 0) == 0)
    return Upload(call);
  if (m == "files.list") return FilesList(call);
  if (m == "files.get" || m == "files.get.media") return FilesGet(call);
  if (m == "files.create") return FilesCreate(call);
  if (m == "files.update") return FilesUpdate(call);
  if (m == "files.delete") return FilesDelete(call);
  if (m == "files.copy") return FilesCopy(call);
  if (m == "files.export") return FilesExport(call);
  if (m == "files.emptyTrash") return FilesEmptyTrash(call);
  if (m == "files.generateIds") return FilesGenerateIds(call);
  if (m == "about.get") return AboutGet(call);
  if (m == "changes.list") return ChangesList(call);
  if (m == "changes.getStartPageToken") return ChangesStartPageToken(call);
  if (m == "drives.list") return DrivesList(call);
  if (m == "drives.get") return DrivesGet(call);
  SendError(call, InternalError("unrouted method " + m));
}

void Emulator::SendAnswer(Call& call, const OAuthServer::HttpAnswer& answer) {
  call.res.status = answer.status;
  call.res.body = answer.body;
  call.res.SetHeader("Content-Type", answer.content_type);
  for (const auto& [k, v] : answer.headers) call.res.SetHeader(k, v);
}

void Emulator::SendError(Call& call, const ApiError& e) {
  call.res.status = e.status;
  call.res.body = e.ToJson().dump(call.pretty ? 2 : -1) + "\n";
  call.res.blob.reset();
  call.res.chunked = false;
  call.res.is_media = false;
  call.res.headers.clear();
  call.res.SetHeader("Content-Type", kJsonType);
  if (e.retry_after_s >= 0)
    call.res.SetHeader("Retry-After", std::to_string(e.retry_after_s));
  if (e.status == 401)
    call.res.SetHeader("WWW-Authenticate",
                       "Bearer realm=\"https://accounts.google.com/\"");
}

std::optional<FieldMask> Emulator::ParseFields(Call& call,
                                               const std::string& schema) {
  if (!call.has_fields) return std::nullopt;
  auto mask = FieldMask::Parse(call.fields);
  if (!mask.ok()) {
    SendError(call, InvalidParameter("fields",
                                     "Invalid field selection " + call.fields));
    return std::nullopt;
  }
  if (Status s = mask->Validate(discovery_["schemas"], schema); !s.ok()) {
    SendError(call, InvalidParameter("fields",
                                     "Invalid field selection " + call.fields));
    return std::nullopt;
  }
  return std::move(mask.value());
}

// Sends `body` trimmed by the request's `fields` (validated against schema).
void Emulator::SendJson(Call& call, int status, nlohmann::json body,
                        const std::string& schema) {
  nlohmann::json out = std::move(body);
  if (call.has_fields) {
    auto mask = ParseFields(call, schema);
    if (!mask) return;  // error already sent
    out = mask->Apply(std::move(out));
  }
  bool damage = call.body_fault && status / 100 == 2;
  if (damage) DamageJson(*call.body_fault, &out);
  std::string text = out.dump(call.pretty ? 2 : -1, ' ', false,
                              nlohmann::json::error_handler_t::replace) +
                     "\n";
  if (damage) DamageJsonText(*call.body_fault, &text);
  SendJsonText(call, status, std::move(text));
}

void Emulator::SendJsonText(Call& call, int status, std::string text) {
  call.res.status = status;
  call.res.SetHeader("Content-Type", kJsonType);
  call.res.body = std::move(text);
}

RenderContext Emulator::FileRenderContext() const {
  return RenderContext{options_.store.user_email, options_.store.user_name,
                       options_.store.native_files_have_size};
}

nlohmann::json Emulator::FileJson(const FileRecord& f,
                                  const FieldMask* only) const {
  return RenderFile(f, FileRenderContext(), only);
}

void Emulator::SendFile(Call& call, const FileRecord& f) {
  std::optional<FieldMask> mask = ItemMask(call, {});
  SendJson(call, 200, FileJson(f, mask ? &*mask : nullptr), "File");
}

std::optional<FieldMask> Emulator::ItemMask(
    const Call& call, std::initializer_list<std::string_view> path) const {
  if (!call.has_fields) return DefaultFileMask();
  auto mask = FieldMask::Parse(call.fields);
  if (!mask.ok()) return FieldMask::All();  // SendJson reports the error
  std::optional<FieldMask> cur = std::move(mask.value());
  for (std::string_view key : path) {
    if (!cur) break;
    cur = cur->Sub(key);
  }
  return cur;
}

nlohmann::json Emulator::Stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  nlohmann::json j = {{"requests", requests_},
                      {"methods", by_method_},
                      {"kinds", by_kind_},
                      {"status", by_status_},
                      {"faults_injected", faults_fired_},
                      {"rate_limited", rate_limited_}};
  if (http_counters_) {
    j["bytes_served"] = http_counters_->bytes_sent.load() - base_bytes_sent_;
    j["media_bytes_served"] =
        http_counters_->media_bytes_sent.load() - base_media_bytes_;
    j["bytes_received"] =
        http_counters_->bytes_received.load() - base_bytes_received_;
    j["connections"] = http_counters_->connections.load();
  }
  j["files"] = store_->size();
  return j;
}

void Emulator::ResetStats() {
  std::lock_guard<std::mutex> lock(stats_mu_);
  requests_ = 0;
  rate_limited_ = 0;
  by_method_.clear();
  by_kind_.clear();
  by_status_.clear();
  faults_fired_.clear();
  if (http_counters_) {
    base_bytes_sent_ = http_counters_->bytes_sent.load();
    base_media_bytes_ = http_counters_->media_bytes_sent.load();
    base_bytes_received_ = http_counters_->bytes_received.load();
  }
}

}  // namespace gdmount::emulator
