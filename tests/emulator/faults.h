// Shaping and fault injection: how the emulator makes the network and the
// service misbehave on purpose, like Drive on a bad day.
//
// Shaping (latency before metadata responses and before the first media byte;
// a per-connection bandwidth cap in HttpServer) and faults (rules firing at a
// rate or on the Nth matching request) are all off by default. Presets set
// realistic figures. Rules can be replaced at run time through
// POST /__emulator/faults, so a test can turn faults on mid-run.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::emulator {

struct ShapingOptions {
  int64_t metadata_latency_ms = 0;
  int64_t media_latency_ms = 0;       // time to the first media byte
  int64_t bandwidth_bytes_per_s = 0;  // per connection
};

// Applies a named preset ("drive-like", "bench", "none").
Status ApplyPreset(const std::string& name, ShapingOptions* shaping);

// What a fault rule does to a matching request.
enum class FaultKind {
  kStatus500,
  kStatus502,
  kStatus503,
  kStatus504,
  kRateLimit403,  // 403 userRateLimitExceeded
  kRateLimit429,  // 429 rateLimitExceeded (+ Retry-After)
  kUnauthorized,  // 401 authError; the access token is revoked
  kReset,         // connection reset (mid-body, or instead of the response)
  kTruncate,      // body cut short, connection closed
};

struct FaultRule {
  FaultKind kind = FaultKind::kStatus503;
  double rate = 0;     // probability per matching request
  int64_t nth = 0;     // or: fire on the Nth matching request (1-based)
  std::string method;  // API method ("files.get.media"); empty = all
  int64_t times = -1;  // fire at most this many times (-1: no limit)
  // Runtime counters.
  int64_t seen = 0;
  int64_t fired = 0;
};

// "503:rate=0.1:method=files.get.media", "reset:nth=3", "429:rate=0.2:times=5"
Result<FaultRule> ParseFaultRule(const std::string& spec);
std::string FaultKindName(FaultKind k);

struct RateLimitOptions {
  double requests_per_s = 0;  // 0 = no limit
  double burst = 0;           // bucket size (default: one second's worth)
  int status = 403;           // 403 userRateLimitExceeded or 429
  int64_t retry_after_s = 1;  // Retry-After on 429
};

class FaultInjector {
 public:
  FaultInjector(std::vector<FaultRule> rules, RateLimitOptions rate_limit,
                uint64_t random_seed);
  // Decides the fault (if any) for one API request of `method`.
  std::optional<FaultKind> Decide(const std::string& method);
  // True if the request is over the rate limit (token bucket, global).
  bool OverRateLimit(int64_t now_ms);
  const RateLimitOptions& rate_limit() const { return rate_limit_; }

  // Replaces the rules and/or the rate limit from JSON:
  // {"faults": ["503:rate=0.5", ...], "rate_limit": {"qps": 5, ...}}.
  Status Configure(const nlohmann::json& config);
  nlohmann::json Describe() const;

 private:
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;  // GUARDED_BY(mu_)
  RateLimitOptions rate_limit_;
  double tokens_ = 0;
  int64_t last_refill_ms_ = -1;
  std::mt19937_64 rng_;
};

}  // namespace gdmount::emulator
