// Shaping and fault injection: how the emulator makes the network and the
// service misbehave on purpose, like Drive on a bad day.
//
// Shaping (latency before metadata responses and before the first media byte;
// a per-connection bandwidth cap in HttpServer) and faults (rules firing at a
// rate or on the Nth matching request) are all off by default. Presets set
// realistic figures. Rules can be replaced at run time through
// POST /__emulator/faults, so a test can turn faults on mid-run.
// Body faults (malformed, omit, badsize) let the request succeed and damage
// its JSON answer: the emulator records the rule on the request and applies
// DamageJson/DamageJsonText when it serializes a 2xx JSON body.
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
  // Body faults: a successful JSON answer arrives damaged (never media).
  kMalformed,  // 200 with syntactically invalid JSON (a prefix of the body)
  kOmit,       // key `field` removed from the file objects
  kBadSize,    // `size` of the file objects off by `delta`
};

// True for the kinds that damage a successful JSON body.
bool DamagesBody(FaultKind k);

struct FaultRule {
  FaultKind kind = FaultKind::kStatus503;
  double rate = 0;       // probability per matching request
  int64_t nth = 0;       // or: fire on the Nth matching request (1-based)
  std::string method;    // API method ("files.get.media"); empty = all
  int64_t times = -1;    // fire at most this many times (-1: no limit)
  std::string field;     // kOmit: the key to remove (required)
  int64_t delta = 1000;  // kBadSize: added to `size` (may be negative)
  // Runtime counters.
  int64_t seen = 0;
  int64_t fired = 0;
};

// "503:rate=0.1:method=files.get.media", "reset:nth=3", "429:rate=0.2:times=5",
// "omit:nth=1:field=size", "badsize:rate=0.5:delta=-10". Returns
// kInvalidArgument for an unknown kind or option, a bad value, no rate/nth,
// `field` or `delta` on another kind, or omit without `field`.
Result<FaultRule> ParseFaultRule(const std::string& spec);
std::string FaultKindName(FaultKind k);

// The file objects of a JSON answer are the top-level object, each element
// of a top-level "files" array and each "file" inside a "changes" array.
// kOmit removes rule.field from each; kBadSize adds rule.delta to each
// decimal-string "size" (never below 0). Other kinds: no change.
void DamageJson(const FaultRule& rule, nlohmann::json* body);
// kMalformed: replaces the serialized object `text` by its first half,
// which is never valid JSON. Other kinds: no change.
void DamageJsonText(const FaultRule& rule, std::string* text);

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
  // Decides the fault (if any) for one API request of `method`; returns a
  // copy of the rule that fired. Body-fault rules ignore `media` requests
  // (downloads and exports): they neither count nor fire there.
  std::optional<FaultRule> Decide(const std::string& method, bool media);
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
