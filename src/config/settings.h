// Settings: every knob of the gdmount binary in one validated struct, built
// from the config file < environment < command-line flags (DESIGN.md §6).
//
// Design note. Each setting is declared once in a table (settings.cc) with
// its config key, flag, environment variable, default and help line, so the
// file parser, the flag parser, `--help` and docs/configuration.md cannot
// drift apart. `--endpoint URL` (GDMOUNT_ENDPOINT) sets the API, upload,
// authorization, token and revocation URLs to one base (DESIGN.md §7); the
// per-URL settings override it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::config {

struct Settings {
  std::string account = "default";
  std::string config_file;  // "" = $XDG_CONFIG_HOME/gdmount/config.toml

  // Endpoints (full URLs for OAuth, roots for the API).
  std::string api_url = "https://www.googleapis.com";
  std::string upload_url = "https://www.googleapis.com";
  std::string auth_url = "https://accounts.google.com/o/oauth2/v2/auth";
  std::string token_url = "https://oauth2.googleapis.com/token";
  std::string revoke_url = "https://oauth2.googleapis.com/revoke";

  // OAuth client (a Desktop client the user creates: docs/auth.md).
  std::string client_id;
  std::string client_secret;
  std::string scope = "https://www.googleapis.com/auth/drive";

  // Transport.
  std::string ca_bundle;
  std::string proxy;
  bool http2 = false;
  int connect_timeout_s = 10;
  int stall_timeout_s = 30;

  // Drive client.
  double pacer_rate = 100;
  double pacer_burst = 200;
  int retry_attempts = 8;
  int64_t chunk_size = 8 << 20;
  int64_t multipart_threshold = 5 << 20;

  // Mount.
  double entry_timeout_s = 60;
  double attr_timeout_s = 60;
  int64_t cache_chunk_size = 8 << 20;
  int64_t cache_budget = int64_t{10} << 30;
  int64_t cache_max_files = 32768;
  int64_t view_cache_entries = 100000;
  int64_t read_ahead_initial = 1 << 20;
  int64_t read_ahead_max = 64 << 20;
  int download_threads = 8;
  int64_t small_file_threshold = 1 << 20;
  int64_t kernel_read_ahead = 1 << 20;  // bytes; 0 = the kernel's default
  std::string shared_drive;             // "" = My Drive
  std::string root_folder;  // "" = the drive's root; an id or a /path
  bool xattrs = false;      // user.gdmount.* extended attributes
  bool show_trash = true;   // .Trash at My Drive's root
  bool show_shared = true;  // .shared at My Drive's root

  // Writes (write-back; docs/writing.md).
  bool read_only = false;
  int upload_threads = 4;
  int64_t staging_limit = int64_t{20} << 30;  // bytes; 0 = no limit
  std::string staging_full = "block";         // block | enospc
  bool delete_permanently = false;
  int unmount_timeout_s = 600;  // draining uploads at unmount
  int poll_interval_s = 15;     // change feed; 0: on demand only
  std::string log_file;         // "" = stderr (-f) or the state dir's

  std::string log_level = "info";
};

// One row of the settings table, for --help and the docs.
struct SettingInfo {
  std::string key;         // config-file key, e.g. "client_id"
  std::string flag;        // "--client-id"
  std::string env;         // "GDMOUNT_CLIENT_ID" or ""
  std::string value_name;  // "ID", or "" for booleans
  std::string help;
  std::string default_text;
};
const std::vector<SettingInfo>& SettingsTable();

// Applies "--flag value" / "--flag=value" / "--bool-flag" pairs (already
// split from the command line by the caller) over environment and file.
// `flags` maps a flag name ("--client-id") to its value ("" for booleans).
// `env` returns an environment variable or nullopt.
// Errors: InvalidArgument naming the source (file:line, $VAR or --flag)
// and the fix.
Result<Settings> ResolveSettings(
    const std::map<std::string, std::string>& flags,
    const std::function<std::optional<std::string>(const std::string&)>& env);

// The config file path for these flags and environment.
std::string DefaultConfigPath(
    const std::function<std::optional<std::string>(const std::string&)>& env);

}  // namespace gdmount::config
