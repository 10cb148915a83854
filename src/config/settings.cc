#include "config/settings.h"

#include <cerrno>
#include <cstdlib>
#include <functional>

#include "config/config_file.h"
#include "gdmount/http_transport.h"

namespace gdmount::config {
namespace {

using Apply = std::function<Status(Settings&, const std::string&)>;

struct Row {
  SettingInfo info;
  Apply apply;
};

Status ParseInt64(const std::string& text, int64_t min, int64_t max,
                  int64_t* out) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max)
    return InvalidArgumentError("expected an integer in " +
                                std::to_string(min) + ".." +
                                std::to_string(max) + ", got '" + text + "'");
  *out = v;
  return Status::Ok();
}

Status ParseDouble(const std::string& text, double min, double* out) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= min))
    return InvalidArgumentError("expected a number >= " + std::to_string(min) +
                                ", got '" + text + "'");
  *out = v;
  return Status::Ok();
}

Status ParseBool(const std::string& text, bool* out) {
  if (text.empty() || text == "true" || text == "1" || text == "yes") {
    *out = true;
  } else if (text == "false" || text == "0" || text == "no") {
    *out = false;
  } else {
    return InvalidArgumentError("expected true or false, got '" + text + "'");
  }
  return Status::Ok();
}

Apply String(std::string Settings::*field) {
  return [field](Settings& s, const std::string& v) {
    s.*field = v;
    return Status::Ok();
  };
}

Apply Int(int Settings::*field, int64_t min, int64_t max) {
  return [=](Settings& s, const std::string& v) {
    int64_t n = 0;
    Status st = ParseInt64(v, min, max, &n);
    if (st.ok()) s.*field = static_cast<int>(n);
    return st;
  };
}

Apply Int64(int64_t Settings::*field, int64_t min, int64_t max) {
  return [=](Settings& s, const std::string& v) {
    return ParseInt64(v, min, max, &(s.*field));
  };
}

Apply Double(double Settings::*field, double min) {
  return [=](Settings& s, const std::string& v) {
    return ParseDouble(v, min, &(s.*field));
  };
}

Apply Bool(bool Settings::*field) {
  return [=](Settings& s, const std::string& v) {
    return ParseBool(v, &(s.*field));
  };
}

// `--endpoint URL`: one base for every URL (the emulator, DESIGN.md §7).
Status ApplyEndpoint(Settings& s, const std::string& v) {
  std::string base = v;
  while (!base.empty() && base.back() == '/') base.pop_back();
  s.api_url = base;
  s.upload_url = base;
  s.auth_url = base + "/o/oauth2/v2/auth";
  s.token_url = base + "/token";
  s.revoke_url = base + "/revoke";
  return Status::Ok();
}

const std::vector<Row>& Rows() {
  static const auto* rows = new std::vector<Row>{
      {{"endpoint", "--endpoint", "GDMOUNT_ENDPOINT", "URL",
        "One base URL for the API, upload, authorization and token endpoints "
        "(e.g. the emulator's http://127.0.0.1:PORT)",
        "Google's"},
       ApplyEndpoint},
      {{"api_url", "--api-url", "GDMOUNT_API_URL", "URL",
        "Root of the Drive API (…/drive/v3 is appended)",
        "https://www.googleapis.com"},
       String(&Settings::api_url)},
      {{"upload_url", "--upload-url", "GDMOUNT_UPLOAD_URL", "URL",
        "Root of the upload API (…/upload/drive/v3 is appended)",
        "https://www.googleapis.com"},
       String(&Settings::upload_url)},
      {{"auth_url", "--auth-url", "GDMOUNT_AUTH_URL", "URL",
        "OAuth authorization page",
        "https://accounts.google.com/o/oauth2/v2/auth"},
       String(&Settings::auth_url)},
      {{"token_url", "--token-url", "GDMOUNT_TOKEN_URL", "URL",
        "OAuth token endpoint", "https://oauth2.googleapis.com/token"},
       String(&Settings::token_url)},
      {{"revoke_url", "--revoke-url", "GDMOUNT_REVOKE_URL", "URL",
        "OAuth revocation endpoint", "https://oauth2.googleapis.com/revoke"},
       String(&Settings::revoke_url)},
      {{"account", "--account", "GDMOUNT_ACCOUNT", "NAME",
        "Named account: tokens live in $XDG_CONFIG_HOME/gdmount/NAME/",
        "default"},
       String(&Settings::account)},
      {{"client_id", "--client-id", "GDMOUNT_CLIENT_ID", "ID",
        "OAuth client ID of your Desktop app (docs/auth.md)", "none"},
       String(&Settings::client_id)},
      {{"client_secret", "--client-secret", "GDMOUNT_CLIENT_SECRET", "SECRET",
        "OAuth client secret of your Desktop app", "none"},
       String(&Settings::client_secret)},
      {{"scope", "--scope", "GDMOUNT_SCOPE", "SCOPE",
        "OAuth scope(s), space-separated",
        "https://www.googleapis.com/auth/drive"},
       String(&Settings::scope)},
      {{"ca_bundle", "--ca-bundle", "GDMOUNT_CA_BUNDLE", "FILE",
        "PEM file of trusted CAs", "the system store"},
       String(&Settings::ca_bundle)},
      {{"proxy", "--proxy", "GDMOUNT_PROXY", "URL", "HTTP(S) proxy",
        "libcurl's https_proxy/no_proxy environment"},
       String(&Settings::proxy)},
      {{"http2", "--http2", "GDMOUNT_HTTP2", "",
        "Use HTTP/2 when the server offers it", "false (HTTP/1.1)"},
       Bool(&Settings::http2)},
      {{"connect_timeout", "--connect-timeout", "", "SECONDS",
        "Give up connecting after this long", "10"},
       Int(&Settings::connect_timeout_s, 1, 600)},
      {{"stall_timeout", "--stall-timeout", "", "SECONDS",
        "Cut a transfer that moves under 1 KiB/s for this long", "30"},
       Int(&Settings::stall_timeout_s, 1, 3600)},
      {{"pacer_rate", "--pacer-rate", "", "N",
        "Drive requests per second, all threads together (0 = unpaced)", "100"},
       Double(&Settings::pacer_rate, 0)},
      {{"pacer_burst", "--pacer-burst", "", "N",
        "Requests that may go at once after an idle spell", "200"},
       Double(&Settings::pacer_burst, 1)},
      {{"retry_attempts", "--retry-attempts", "", "N",
        "Attempts per Drive call on transient errors", "8"},
       Int(&Settings::retry_attempts, 1, 100)},
      {{"upload_chunk_size", "--upload-chunk-size", "", "BYTES",
        "Resumable upload chunk (a multiple of 262144)", "8388608"},
       Int64(&Settings::chunk_size, 262144, int64_t{1} << 32)},
      {{"multipart_threshold", "--multipart-threshold", "", "BYTES",
        "Files up to this size are uploaded in one request", "5242880"},
       // Multipart bodies are built in memory: keep them small.
       Int64(&Settings::multipart_threshold, 0, int64_t{64} << 20)},
      {{"entry_timeout", "--entry-timeout", "", "SECONDS",
        "How long the kernel may cache a name (and a miss)", "60"},
       Double(&Settings::entry_timeout_s, 0)},
      {{"attr_timeout", "--attr-timeout", "", "SECONDS",
        "How long the kernel may cache attributes", "60"},
       Double(&Settings::attr_timeout_s, 0)},
      {{"cache_chunk_size", "--cache-chunk-size", "", "BYTES",
        "Unit of the content cache and of ranged downloads", "8388608"},
       Int64(&Settings::cache_chunk_size, 4096, int64_t{1} << 30)},
      {{"cache_budget", "--cache-budget", "", "BYTES",
        "Disk space the content cache may use", "10737418240"},
       Int64(&Settings::cache_budget, 0, int64_t{1} << 50)},
      {{"cache_max_files", "--cache-max-files", "", "N",
        "Files the content cache may hold (each keeps one open descriptor)",
        "32768"},
       Int64(&Settings::cache_max_files, 16, int64_t{1} << 24)},
      {{"view_cache_entries", "--view-cache-entries", "", "N",
        "Folder entries kept in memory for lookups and listings (about "
        "1.4 KiB each), least recently used folders out first",
        "100000"},
       Int64(&Settings::view_cache_entries, 1000, int64_t{1} << 30)},
      {{"read_ahead_initial", "--read-ahead-initial", "", "BYTES",
        "First read-ahead window of a sequential reader", "1048576"},
       Int64(&Settings::read_ahead_initial, 0, int64_t{1} << 30)},
      {{"read_ahead_max", "--read-ahead-max", "", "BYTES",
        "Largest read-ahead window (doubles up to this)", "67108864"},
       Int64(&Settings::read_ahead_max, 0, int64_t{16} << 30)},
      {{"download_threads", "--download-threads", "", "N",
        "Downloads in flight at once, all files together", "8"},
       Int(&Settings::download_threads, 1, 256)},
      {{"small_file_threshold", "--small-file-threshold", "", "BYTES",
        "Files up to this size are fetched whole on first read", "1048576"},
       Int64(&Settings::small_file_threshold, 0, int64_t{1} << 30)},
      {{"kernel_read_ahead", "--kernel-read-ahead", "", "BYTES",
        "The kernel's read-ahead for the mount (needs root; 0 = leave it)",
        "1048576"},
       Int64(&Settings::kernel_read_ahead, 0, int64_t{1} << 30)},
      {{"shared_drive", "--shared-drive", "", "ID",
        "Mount this shared drive (see gdmount drives) instead of My Drive",
        "none (My Drive)"},
       String(&Settings::shared_drive)},
      {{"root_folder", "--root-folder", "", "ID-OR-PATH",
        "Mount this folder as the root: an id, or a path like /data/pets",
        "none (the drive's root)"},
       String(&Settings::root_folder)},
      {{"xattrs", "--xattrs", "", "",
        "Serve Drive metadata as user.gdmount.* extended attributes", "false"},
       Bool(&Settings::xattrs)},
      {{"show_trash", "--show-trash", "", "",
        "Show .Trash (trashed items, read-only) at My Drive's root", "true"},
       Bool(&Settings::show_trash)},
      {{"show_shared", "--show-shared", "", "",
        "Show .shared (items shared with you) at My Drive's root", "true"},
       Bool(&Settings::show_shared)},
      {{"read_only", "--read-only", "", "", "Mount read-only (also -o ro)",
        "false"},
       Bool(&Settings::read_only)},
      {{"upload_threads", "--upload-threads", "", "N", "Files uploaded at once",
        "4"},
       Int(&Settings::upload_threads, 1, 64)},
      {{"staging_limit", "--staging-limit", "", "BYTES",
        "Local disk for written files not yet on Drive (0 = no limit)",
        "21474836480"},
       Int64(&Settings::staging_limit, 0, int64_t{1} << 50)},
      {{"staging_full", "--staging-full", "", "MODE",
        "When staging is full: block (wait for uploads) or enospc", "block"},
       String(&Settings::staging_full)},
      {{"delete_permanently", "--delete-permanently", "", "",
        "rm and rmdir delete for good instead of moving to Drive's trash",
        "false"},
       Bool(&Settings::delete_permanently)},
      {{"unmount_timeout", "--unmount-timeout", "", "SECONDS",
        "At unmount, wait this long for pending uploads (the rest stay "
        "journaled for the next mount)",
        "600"},
       Int(&Settings::unmount_timeout_s, 0, 86400 * 7)},
      {{"poll_interval", "--poll-interval", "", "SECONDS",
        "How often to ask Drive for changes made elsewhere (changes.list); "
        "0 only on demand (SIGUSR1)",
        "15"},
       Int(&Settings::poll_interval_s, 0, 86400)},
      {{"log_file", "--log-file", "GDMOUNT_LOG_FILE", "FILE",
        "Append the mount's log to FILE (created 0600). Default: stderr "
        "with -f; $XDG_STATE_HOME/gdmount/ACCOUNT/gdmount.log otherwise",
        "none"},
       String(&Settings::log_file)},
      {{"log_level", "--log-level", "GDMOUNT_LOG_LEVEL", "LEVEL",
        "error, warning, info, debug or trace", "info"},
       String(&Settings::log_level)},
  };
  return *rows;
}

const Row* FindRow(const std::string& key_or_flag) {
  for (const Row& r : Rows())
    if (r.info.key == key_or_flag || r.info.flag == key_or_flag) return &r;
  return nullptr;
}

// Applies one layer; "endpoint" first so per-URL settings override it.
Status ApplyLayer(Settings& s,
                  const std::vector<std::pair<const Row*, std::string>>& values,
                  const std::function<std::string(const Row&)>& source) {
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [row, value] : values) {
      if ((row->info.key == "endpoint") != (pass == 0)) continue;
      Status st = row->apply(s, value);
      if (!st.ok())
        return InvalidArgumentError(source(*row) + ": " + st.message());
    }
  }
  return Status::Ok();
}

Status Validate(const Settings& s) {
  for (const auto& [name, url] :
       {std::pair<const char*, const std::string*>{"api_url", &s.api_url},
        {"upload_url", &s.upload_url},
        {"auth_url", &s.auth_url},
        {"token_url", &s.token_url},
        {"revoke_url", &s.revoke_url}}) {
    Status st = CheckUrlAllowed(*url);
    if (!st.ok())
      return InvalidArgumentError(std::string(name) + ": " + st.message());
  }
  if (s.staging_full != "block" && s.staging_full != "enospc")
    return InvalidArgumentError("staging_full must be block or enospc, not '" +
                                s.staging_full + "'");
  if (s.chunk_size % 262144 != 0)
    return InvalidArgumentError(
        "upload_chunk_size must be a multiple of 262144 (256 KiB)");
  return Status::Ok();
}

}  // namespace

const std::vector<SettingInfo>& SettingsTable() {
  static const auto* table = [] {
    auto* t = new std::vector<SettingInfo>();
    for (const Row& r : Rows()) t->push_back(r.info);
    return t;
  }();
  return *table;
}

std::string DefaultConfigPath(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty())
    return *xdg + "/gdmount/config.toml";
  return env("HOME").value_or("") + "/.config/gdmount/config.toml";
}

Result<Settings> ResolveSettings(
    const std::map<std::string, std::string>& flags,
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  Settings s;
  // 1. The config file (--config, GDMOUNT_CONFIG, or the XDG default).
  std::string path = DefaultConfigPath(env);
  bool explicit_path = false;
  if (auto e = env("GDMOUNT_CONFIG"); e && !e->empty())
    path = *e, explicit_path = true;
  if (auto it = flags.find("--config"); it != flags.end())
    path = it->second, explicit_path = true;
  s.config_file = path;
  std::vector<std::string> keys;
  for (const Row& r : Rows()) keys.push_back(r.info.key);
  auto file = LoadConfigFile(path, keys);
  if (!file.ok() &&
      !(file.status().code() == StatusCode::kNotFound && !explicit_path))
    return file.status();
  std::vector<std::pair<const Row*, std::string>> layer;
  std::map<std::string, int> lines;
  if (file.ok()) {
    for (const auto& [key, value] : *file) {
      layer.emplace_back(FindRow(key), value.AsText());
      lines[key] = value.line;
    }
  }
  Status st = ApplyLayer(s, layer, [&](const Row& r) {
    return path + ":" + std::to_string(lines[r.info.key]) + ": " + r.info.key;
  });
  if (!st.ok()) return st;
  // 2. Environment.
  layer.clear();
  for (const Row& r : Rows())
    if (!r.info.env.empty())
      if (auto v = env(r.info.env); v && !v->empty())
        layer.emplace_back(&r, *v);
  st = ApplyLayer(s, layer, [](const Row& r) { return "$" + r.info.env; });
  if (!st.ok()) return st;
  // 3. Flags.
  layer.clear();
  for (const auto& [flag, value] : flags) {
    if (flag == "--config") continue;
    const Row* row = FindRow(flag);
    if (!row) return InvalidArgumentError("unknown option " + flag);
    layer.emplace_back(row, value);
  }
  st = ApplyLayer(s, layer, [](const Row& r) { return r.info.flag; });
  if (!st.ok()) return st;
  st = Validate(s);
  if (!st.ok()) return st;
  return s;
}

}  // namespace gdmount::config
