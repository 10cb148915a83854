// about, changes, drives, the discovery document, OAuth endpoints, and the
// emulator's own /__emulator/* introspection routes.
#include "tests/emulator/emulator.h"
#include "tests/emulator/render.h"
#include "tests/emulator/timefmt.h"

namespace gdmount::emulator {
namespace {

constexpr const char* kMaxUploadSize = "5497558138880";  // 5 TiB, discovery

}  // namespace

void Emulator::AboutGet(Call& call) {
  if (!call.has_fields)
    return SendError(
        call, BadRequest("The 'fields' parameter is required for this method.",
                         "required", "fields", "parameter"));
  QuotaView q = store_->Quota();
  nlohmann::json quota = {
      {"usage", std::to_string(q.usage)},
      {"usageInDrive", std::to_string(q.usage_in_drive)},
      {"usageInDriveTrash", std::to_string(q.usage_in_trash)}};
  if (q.limit > 0) quota["limit"] = std::to_string(q.limit);
  RenderContext ctx{options_.store.user_email, options_.store.user_name,
                    options_.store.native_files_have_size};
  nlohmann::json imports = {
      {"text/plain", {"application/vnd.google-apps.document"}},
      {"text/csv", {"application/vnd.google-apps.spreadsheet"}},
      {"application/"
       "vnd.openxmlformats-officedocument.wordprocessingml.document",
       {"application/vnd.google-apps.document"}}};
  nlohmann::json body = {
      {"kind", "drive#about"},
      {"user", RenderUser(ctx)},
      {"storageQuota", quota},
      {"maxUploadSize", kMaxUploadSize},
      {"maxImportSizes",
       {{"application/vnd.google-apps.document", "10485760"},
        {"application/vnd.google-apps.spreadsheet", "104857600"},
        {"application/vnd.google-apps.presentation", "104857600"}}},
      {"importFormats", imports},
      {"exportFormats", ExportFormats()},
      {"appInstalled", false},
      {"canCreateDrives", true},
      {"canCreateTeamDrives", true},
      {"folderColorPalette", {"#ac725e", "#d06b64", "#f83a22", "#fa573c"}},
      {"driveThemes", nlohmann::json::array()}};
  SendJson(call, 200, body, "About");
}

void Emulator::ChangesList(Call& call) {
  ChangesRequest cr;
  int64_t page_size = 100;
  if (!IntParam(call, "pageSize", 100, 1, 1000, &page_size)) return;
  cr.page_size = static_cast<int>(page_size);
  cr.page_token = StrParam(call, "pageToken");
  if (!BoolParam(call, "includeRemoved", true, &cr.include_removed)) return;
  if (!BoolParam(call, "restrictToMyDrive", false, &cr.restrict_to_my_drive))
    return;
  cr.drive_id = StrParam(call, "driveId");
  if (cr.drive_id.empty()) cr.drive_id = StrParam(call, "teamDriveId");
  cr.scope = call.scope;
  auto page = store_->Changes(cr);
  if (!page.ok()) return SendError(call, page.error());
  nlohmann::json changes = nlohmann::json::array();
  std::optional<FieldMask> per_file = ItemMask(call, {"changes", "file"});
  for (const auto& c : page->changes) {
    nlohmann::json j = {{"kind", "drive#change"},
                        {"changeType", "file"},
                        {"fileId", c.file_id},
                        {"removed", c.removed},
                        {"time", FormatRfc3339(c.time_ms)}};
    if (c.file && per_file) j["file"] = FileJson(*c.file, &*per_file);
    if (!c.drive_id.empty()) j["driveId"] = c.drive_id;
    changes.push_back(std::move(j));
  }
  nlohmann::json body = {{"kind", "drive#changeList"}, {"changes", changes}};
  if (!page->next_page_token.empty())
    body["nextPageToken"] = page->next_page_token;
  if (!page->new_start_page_token.empty())
    body["newStartPageToken"] = page->new_start_page_token;
  SendJson(call, 200, body, "ChangeList");
}

void Emulator::ChangesStartPageToken(Call& call) {
  std::string drive_id = StrParam(call, "driveId");
  if (!drive_id.empty()) {
    auto d = store_->GetDrive(drive_id);
    if (!d.ok()) return SendError(call, d.error());
  }
  SendJson(call, 200,
           {{"kind", "drive#startPageToken"},
            {"startPageToken", store_->StartPageToken()}},
           "StartPageToken");
}

void Emulator::DrivesList(Call& call) {
  int64_t page_size = 10;
  if (!IntParam(call, "pageSize", 10, 1, 100, &page_size)) return;
  if (!StrParam(call, "q").empty())
    return SendError(
        call, ApiError{501, "notImplemented", "drives.list q is not emulated.",
                       "global", "q", "parameter"});
  std::vector<SharedDrive> drives = store_->Drives();
  size_t start = 0;
  if (std::string tok = StrParam(call, "pageToken"); !tok.empty()) {
    char* end = nullptr;
    start = std::strtoull(tok.c_str(), &end, 10);
    if (*end != '\0' || start > drives.size())
      return SendError(call, InvalidParameter("pageToken", "Invalid Value"));
  }
  nlohmann::json list = nlohmann::json::array();
  size_t end = std::min(drives.size(), start + static_cast<size_t>(page_size));
  for (size_t i = start; i < end; ++i) list.push_back(RenderDrive(drives[i]));
  nlohmann::json body = {{"kind", "drive#driveList"}, {"drives", list}};
  if (end < drives.size()) body["nextPageToken"] = std::to_string(end);
  SendJson(call, 200, body, "DriveList");
}

void Emulator::DrivesGet(Call& call) {
  auto d = store_->GetDrive(call.path_id);
  if (!d.ok()) return SendError(call, d.error());
  SendJson(call, 200, RenderDrive(d.value()), "Drive");
}

// The official discovery document, pointed at this emulator so that
// generated clients (googleapiclient's build_from_document, googleapis'
// discoverAPI) send everything here.
void Emulator::Discovery(Call& call) {
  nlohmann::json doc = discovery_;
  std::string root = public_url_ + "/";
  doc["rootUrl"] = root;
  doc["mtlsRootUrl"] = root;
  doc["baseUrl"] = root + doc.value("servicePath", "drive/v3/");
  call.res.status = 200;
  call.res.SetHeader("Content-Type", "application/json; charset=UTF-8");
  call.res.body = doc.dump(1);
}

void Emulator::OAuthRoute(Call& call) {
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : call.req.params) params.emplace(k, v);
  OAuthServer::HttpAnswer ans;
  const std::string& path = call.req.path;
  if (path == "/o/oauth2/v2/auth" && call.req.method == "GET") {
    ans = oauth_->Authorize(params);
  } else if (call.req.method == "POST") {
    std::string body;
    if (!call.req.ReadAllBody(&body, 1 << 20).ok()) {
      ans = {400,
             "application/json; charset=utf-8",
             R"({"error":"invalid_request","error_description":"Bad body."})",
             {}};
    } else {
      for (const auto& [k, v] : ParseQueryString(body)) params.emplace(k, v);
      if (path == "/token") {
        ans = oauth_->Token(params);
      } else {
        ans = oauth_->Revoke(params.count("token") ? params["token"] : "");
      }
      SaveOAuthState();
    }
  } else {
    ans = {405, "text/plain", "Method Not Allowed\n", {}};
  }
  SendAnswer(call, ans);
}

void Emulator::AdminRoute(Call& call) {
  const std::string& what =
      call.req.path.substr(std::string("/__emulator/").size());
  const std::string& m = call.req.method;
  auto json = [&](int status, const nlohmann::json& j) {
    call.res.status = status;
    call.res.SetHeader("Content-Type", "application/json; charset=UTF-8");
    call.res.body = j.dump(2) + "\n";
  };
  if (what == "stats" && m == "GET") return json(200, Stats());
  if (what == "reset-stats" && m == "POST") {
    ResetStats();
    return json(200, Stats());
  }
  if (what == "health" && m == "GET") return json(200, {{"ok", true}});
  if (what == "faults") {
    if (m == "GET") return json(200, faults_.Describe());
    if (m == "POST") {
      std::string body;
      (void)call.req.ReadAllBody(&body, 1 << 20);
      auto cfg = nlohmann::json::parse(body, nullptr, false);
      if (cfg.is_discarded()) return json(400, {{"error", "invalid JSON"}});
      if (Status s = faults_.Configure(cfg); !s.ok())
        return json(400, {{"error", s.message()}});
      return json(200, faults_.Describe());
    }
  }
  if (what == "index-lag" && m == "POST") {
    const std::string* ms = call.req.Param("ms");
    store_->set_index_lag_ms(ms ? std::atoll(ms->c_str()) : 0);
    return json(200, {{"index_lag_ms", ms ? std::atoll(ms->c_str()) : 0}});
  }
  if (what == "service-account" && m == "POST") {
    const std::string* email = call.req.Param("email");
    auto key = oauth_->CreateServiceAccount(
        email ? *email : "emulated-sa@gdmount-emulator.iam.gserviceaccount.com",
        public_url_ + "/token");
    if (!key.ok()) return json(500, {{"error", key.status().message()}});
    SaveOAuthState();
    return json(200, key.value());
  }
  if (what == "share" && m == "POST") {
    const std::string* id = call.req.Param("id");
    const std::string* email = call.req.Param("email");
    const std::string* name = call.req.Param("name");
    auto f =
        store_->ShareWithMe(id ? *id : "", email ? *email : kColleagueEmail,
                            name ? *name : kColleagueName);
    if (!f.ok()) return json(404, {{"error", f.error().message}});
    return json(200, FileJson(f.value(), nullptr));
  }
  if (what == "checkpoint" && m == "POST") {
    Status s = Checkpoint();
    return json(s.ok() ? 200 : 500, {{"ok", s.ok()}, {"message", s.message()}});
  }
  json(404, {{"error", "unknown emulator route " + call.req.path}});
}

}  // namespace gdmount::emulator
