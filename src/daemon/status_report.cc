#include "daemon/status_report.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "gdmount/clock.h"

namespace gdmount::daemon {
namespace {

std::string Bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

void RecentErrors::Add(int64_t unix_ms, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  items_.emplace_back(unix_ms, message);
  while (items_.size() > kKeep) items_.pop_front();
}

nlohmann::json RecentErrors::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [ms, message] : items_)
    out.push_back({{"time_ms", ms}, {"message", message}});
  return out;
}

nlohmann::json CollectStatus(const StatusSources& s) {
  nlohmann::json j;
  j["mountpoint"] = s.mountpoint;
  j["account"] = s.account;
  j["root"] = s.root;
  j["read_only"] = s.read_only;
  j["pid"] = static_cast<int64_t>(::getpid());
  j["uptime_s"] = (UnixMillis(RealClock()) - s.started_ms) / 1000;
  if (s.cache) {
    cache::CacheStats c = s.cache->stats();
    j["cache"] = {{"bytes", c.bytes_cached},
                  {"budget", s.cache_budget},
                  {"files", c.files},
                  {"max_files", s.cache_max_files},
                  {"hits", c.hits},
                  {"misses", c.misses},
                  {"fetched_bytes", c.fetched_bytes},
                  {"evictions", c.evictions},
                  {"corruptions", c.corruptions}};
  }
  if (s.tree) {
    vfs::Tree::ViewStats v = s.tree->view_stats();
    j["views"] = {{"folders", v.views},
                  {"entries", v.entries},
                  {"max_entries", s.max_view_entries},
                  {"evictions", v.evictions}};
  }
  nlohmann::json uploads = {{"pending", nlohmann::json::array()}};
  if (s.store) {
    auto rows = s.store->PendingUploads();
    std::set<std::string> running;
    if (s.uploader) running = s.uploader->InFlight();
    if (rows.ok()) {
      for (const meta::PendingUpload& u : *rows) {
        uploads["pending"].push_back({{"id", u.id},
                                      {"name", u.name},
                                      {"size", u.size},
                                      {"sent", u.confirmed},
                                      {"uploading", running.count(u.id) > 0},
                                      {"attempts", u.attempts},
                                      {"last_error", u.last_error}});
      }
    }
  }
  if (s.uploader) {
    cache::UploadStats u = s.uploader->stats();
    uploads["done"] = u.uploaded_files;
    uploads["done_bytes"] = u.uploaded_bytes;
    uploads["failed_attempts"] = u.failed_attempts;
    uploads["conflicts"] = u.conflicts;
  }
  j["uploads"] = uploads;
  if (s.client) {
    drive::ClientStats c = s.client->stats();
    nlohmann::json kinds = nlohmann::json::object();
    for (const auto& [kind, k] : c.by_kind)
      kinds[kind] = {{"calls", k.calls},
                     {"retries", k.retries},
                     {"rate_limited", k.rate_limited},
                     {"failures", k.failures}};
    j["api"] = {{"calls", c.calls},
                {"requests", c.requests},
                {"retries", c.retries},
                {"rate_limited", c.rate_limited},
                {"token_refreshes", c.token_refreshes},
                {"failures", c.failures},
                {"by_kind", kinds}};
  }
  if (s.feed) {
    vfs::ChangeFeedStats f = s.feed->stats();
    j["changes"] = {{"polls", f.polls},
                    {"applied", f.changes_applied},
                    {"failed_polls", f.failed_polls},
                    {"token_resets", f.token_resets}};
  }
  j["last_errors"] = s.errors ? s.errors->ToJson() : nlohmann::json::array();
  return j;
}

std::string FormatStatus(const nlohmann::json& j) {
  std::ostringstream out;
  out << j.value("mountpoint", "?") << ": " << j.value("root", "?")
      << " of account " << j.value("account", "?")
      << (j.value("read_only", false) ? " (read-only)" : "") << ", pid "
      << j.value("pid", 0) << ", up " << j.value("uptime_s", 0) << " s\n";
  if (j.contains("cache")) {
    const auto& c = j["cache"];
    out << "  cache: " << Bytes(c.value("bytes", int64_t{0})) << " of "
        << Bytes(c.value("budget", int64_t{0})) << " in " << c.value("files", 0)
        << " of " << c.value("max_files", 0) << " file(s); "
        << c.value("hits", 0) << " hits, " << c.value("misses", 0)
        << " misses\n";
  }
  if (j.contains("views")) {
    const auto& v = j["views"];
    out << "  folders in memory: " << v.value("folders", 0) << " holding "
        << v.value("entries", 0) << " of " << v.value("max_entries", 0)
        << " entries; " << v.value("evictions", 0) << " dropped for room\n";
  }
  const auto& u = j["uploads"];
  out << "  uploads: " << u["pending"].size() << " pending, "
      << u.value("done", 0) << " done ("
      << Bytes(u.value("done_bytes", int64_t{0})) << "), "
      << u.value("failed_attempts", 0) << " failed attempt(s), "
      << u.value("conflicts", 0) << " conflict(s)\n";
  for (const auto& p : u["pending"]) {
    const int64_t size = p.value("size", int64_t{0});
    const int64_t sent = p.value("sent", int64_t{0});
    out << "    " << p.value("name", "?") << "  " << Bytes(sent) << " / "
        << Bytes(size)
        << (size > 0 ? " (" + std::to_string(sent * 100 / size) + "%)" : "")
        << (p.value("uploading", false) ? ", uploading" : ", waiting");
    if (p.value("attempts", 0) > 0)
      out << ", " << p.value("attempts", 0)
          << " failed attempt(s): " << p.value("last_error", "");
    out << "\n";
  }
  if (j.contains("api")) {
    const auto& a = j["api"];
    out << "  api: " << a.value("calls", 0) << " calls, "
        << a.value("retries", 0) << " retries, " << a.value("rate_limited", 0)
        << " rate-limited, " << a.value("failures", 0) << " failed\n";
    for (const auto& [kind, k] : a["by_kind"].items())
      out << "    " << kind << ": " << k.value("calls", 0) << " calls"
          << (k.value("retries", 0)
                  ? ", " + std::to_string(k.value("retries", 0)) + " retries"
                  : "")
          << (k.value("rate_limited", 0)
                  ? ", " + std::to_string(k.value("rate_limited", 0)) +
                        " rate-limited"
                  : "")
          << (k.value("failures", 0)
                  ? ", " + std::to_string(k.value("failures", 0)) + " failed"
                  : "")
          << "\n";
  }
  if (j.contains("changes")) {
    const auto& c = j["changes"];
    out << "  changes: " << c.value("polls", 0) << " polls, "
        << c.value("applied", 0) << " applied\n";
  }
  if (!j["last_errors"].empty()) {
    out << "  last errors:\n";
    for (const auto& e : j["last_errors"])
      out << "    " << e.value("message", "") << "\n";
  }
  return out.str();
}

}  // namespace gdmount::daemon
