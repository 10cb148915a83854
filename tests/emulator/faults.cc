#include "tests/emulator/faults.h"

#include <algorithm>
#include <functional>
#include <sstream>

namespace gdmount::emulator {
namespace {

struct KindName {
  FaultKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {FaultKind::kStatus500, "500"},     {FaultKind::kStatus502, "502"},
    {FaultKind::kStatus503, "503"},     {FaultKind::kStatus504, "504"},
    {FaultKind::kRateLimit403, "403"},  {FaultKind::kRateLimit429, "429"},
    {FaultKind::kUnauthorized, "401"},  {FaultKind::kReset, "reset"},
    {FaultKind::kTruncate, "truncate"}, {FaultKind::kMalformed, "malformed"},
    {FaultKind::kOmit, "omit"},         {FaultKind::kBadSize, "badsize"},
};

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0';
}

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  *out = std::stoll(s);
  return true;
}

bool ParseSignedInt(const std::string& s, int64_t* out) {
  bool negative = !s.empty() && s[0] == '-';
  if (!ParseInt(negative ? s.substr(1) : s, out)) return false;
  if (negative) *out = -*out;
  return true;
}

std::string KnownKinds() {
  std::string out;
  for (const auto& kn : kKinds)
    out += std::string(out.empty() ? "" : " ") + kn.name;
  return out;
}

// Parses one KEY=VALUE option of `spec` into *rule.
Status ParseOption(const std::string& option, const std::string& spec,
                   FaultRule* rule) {
  size_t eq = option.find('=');
  std::string key = option.substr(0, eq);
  std::string val = eq == std::string::npos ? "" : option.substr(eq + 1);
  bool ok = true;
  if (key == "rate") {
    ok = ParseDouble(val, &rule->rate) && rule->rate >= 0 && rule->rate <= 1;
  } else if (key == "nth") {
    ok = ParseInt(val, &rule->nth) && rule->nth > 0;
  } else if (key == "times") {
    ok = ParseInt(val, &rule->times);
  } else if (key == "method") {
    rule->method = val;
    ok = !val.empty();
  } else if (key == "field" && rule->kind == FaultKind::kOmit) {
    rule->field = val;
    ok = !val.empty();
  } else if (key == "delta" && rule->kind == FaultKind::kBadSize) {
    ok = ParseSignedInt(val, &rule->delta);
  } else if (key == "field" || key == "delta") {
    return InvalidArgumentError("option '" + key + "' in '" + spec +
                                "' is only for " +
                                (key == "field" ? "omit" : "badsize"));
  } else {
    return InvalidArgumentError("unknown fault option '" + key + "' in '" +
                                spec +
                                "' (rate, nth, times, method; field for omit, "
                                "delta for badsize)");
  }
  if (!ok)
    return InvalidArgumentError("bad value for " + key + " in '" + spec + "'");
  return Status();
}

// Calls fn on each file object of a JSON answer (see DamageJson).
void ForEachFileObject(nlohmann::json* body,
                       const std::function<void(nlohmann::json&)>& fn) {
  if (!body->is_object()) return;
  fn(*body);
  if (auto files = body->find("files");
      files != body->end() && files->is_array())
    for (auto& f : *files)
      if (f.is_object()) fn(f);
  if (auto changes = body->find("changes");
      changes != body->end() && changes->is_array())
    for (auto& c : *changes)
      if (c.is_object() && c.contains("file") && c["file"].is_object())
        fn(c["file"]);
}

void ShiftSize(int64_t delta, nlohmann::json* file) {
  auto size = file->find("size");
  if (size == file->end() || !size->is_string()) return;
  int64_t value = 0;
  if (!ParseInt(size->get<std::string>(), &value)) return;
  *size = std::to_string(std::max<int64_t>(0, value + delta));
}

}  // namespace

Status ApplyPreset(const std::string& name, ShapingOptions* s) {
  if (name == "none") {
    *s = ShapingOptions{};
  } else if (name == "drive-like") {
    *s = ShapingOptions{40, 80, 60LL << 20};
  } else if (name == "bench") {
    *s = ShapingOptions{20, 20, 40LL << 20};
  } else {
    return InvalidArgumentError("unknown preset '" + name +
                                "' (known: none, drive-like, bench)");
  }
  return Status();
}

std::string FaultKindName(FaultKind k) {
  for (const auto& kn : kKinds)
    if (kn.kind == k) return kn.name;
  return "?";
}

bool DamagesBody(FaultKind k) {
  return k == FaultKind::kMalformed || k == FaultKind::kOmit ||
         k == FaultKind::kBadSize;
}

Result<FaultRule> ParseFaultRule(const std::string& spec) {
  std::vector<std::string> parts;
  std::stringstream ss(spec);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  if (parts.empty()) return InvalidArgumentError("empty fault rule");
  FaultRule rule;
  bool known = false;
  for (const auto& kn : kKinds)
    if (parts[0] == kn.name) rule.kind = kn.kind, known = true;
  if (!known)
    return InvalidArgumentError("unknown fault kind '" + parts[0] +
                                "' (known: " + KnownKinds() + ")");
  for (size_t i = 1; i < parts.size(); ++i)
    if (Status s = ParseOption(parts[i], spec, &rule); !s.ok()) return s;
  if (rule.rate == 0 && rule.nth == 0)
    return InvalidArgumentError("fault rule '" + spec +
                                "' needs rate=P or nth=N");
  if (rule.kind == FaultKind::kOmit && rule.field.empty())
    return InvalidArgumentError("fault rule '" + spec +
                                "' needs field=NAME (the key to omit)");
  return rule;
}

void DamageJson(const FaultRule& rule, nlohmann::json* body) {
  if (rule.kind == FaultKind::kOmit)
    ForEachFileObject(body, [&](nlohmann::json& f) { f.erase(rule.field); });
  if (rule.kind == FaultKind::kBadSize)
    ForEachFileObject(body,
                      [&](nlohmann::json& f) { ShiftSize(rule.delta, &f); });
}

void DamageJsonText(const FaultRule& rule, std::string* text) {
  // A strict prefix of a serialized object lacks its closing brace, so it
  // never parses; at least the opening brace is kept.
  if (rule.kind == FaultKind::kMalformed)
    text->resize(std::max<size_t>(1, text->size() / 2));
}

FaultInjector::FaultInjector(std::vector<FaultRule> rules,
                             RateLimitOptions rate_limit, uint64_t random_seed)
    : rules_(std::move(rules)), rate_limit_(rate_limit), rng_(random_seed) {}

std::optional<FaultRule> FaultInjector::Decide(const std::string& method,
                                               bool media) {
  std::lock_guard<std::mutex> lock(mu_);
  // Every matching rule counts the request, so "nth=N" means the Nth
  // matching request whatever other rules did with the earlier ones.
  std::optional<FaultRule> decided;
  for (auto& r : rules_) {
    if (!r.method.empty() && r.method != method) continue;
    if (media && DamagesBody(r.kind)) continue;
    ++r.seen;
    if (decided || (r.times >= 0 && r.fired >= r.times)) continue;
    bool fire =
        r.nth > 0 ? r.seen == r.nth
                  : std::uniform_real_distribution<double>(0, 1)(rng_) < r.rate;
    if (fire) {
      ++r.fired;
      decided = r;
    }
  }
  return decided;
}

bool FaultInjector::OverRateLimit(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rate_limit_.requests_per_s <= 0) return false;
  double burst =
      rate_limit_.burst > 0 ? rate_limit_.burst : rate_limit_.requests_per_s;
  if (last_refill_ms_ < 0) {
    tokens_ = burst;
    last_refill_ms_ = now_ms;
  }
  tokens_ = std::min(burst, tokens_ + (now_ms - last_refill_ms_) *
                                          rate_limit_.requests_per_s / 1000.0);
  last_refill_ms_ = now_ms;
  if (tokens_ < 1) return true;
  tokens_ -= 1;
  return false;
}

Status FaultInjector::Configure(const nlohmann::json& config) {
  if (!config.is_object())
    return InvalidArgumentError("expected a JSON object");
  std::vector<FaultRule> rules;
  bool set_rules = config.contains("faults");
  if (set_rules) {
    if (!config["faults"].is_array())
      return InvalidArgumentError("faults: expected array");
    for (const auto& spec : config["faults"]) {
      if (!spec.is_string())
        return InvalidArgumentError("faults: expected strings");
      auto r = ParseFaultRule(spec.get<std::string>());
      if (!r.ok()) return r.status();
      rules.push_back(*r);
    }
  }
  RateLimitOptions rl;
  bool set_rl = config.contains("rate_limit");
  if (set_rl) {
    const auto& j = config["rate_limit"];
    if (!j.is_object())
      return InvalidArgumentError("rate_limit: expected object");
    rl.requests_per_s = j.value("qps", 0.0);
    rl.burst = j.value("burst", 0.0);
    rl.status = j.value("status", 403);
    rl.retry_after_s = j.value("retry_after", int64_t{1});
    if (rl.status != 403 && rl.status != 429)
      return InvalidArgumentError("rate_limit.status must be 403 or 429");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (set_rules) rules_ = std::move(rules);
  if (set_rl) {
    rate_limit_ = rl;
    last_refill_ms_ = -1;
  }
  return Status();
}

nlohmann::json FaultInjector::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : rules_) {
    nlohmann::json j = {{"kind", FaultKindName(r.kind)},
                        {"rate", r.rate},
                        {"nth", r.nth},
                        {"method", r.method},
                        {"times", r.times},
                        {"seen", r.seen},
                        {"fired", r.fired}};
    if (r.kind == FaultKind::kOmit) j["field"] = r.field;
    if (r.kind == FaultKind::kBadSize) j["delta"] = r.delta;
    rules.push_back(std::move(j));
  }
  return {{"faults", rules},
          {"rate_limit",
           {{"qps", rate_limit_.requests_per_s},
            {"burst", rate_limit_.burst},
            {"status", rate_limit_.status},
            {"retry_after", rate_limit_.retry_after_s}}}};
}

}  // namespace gdmount::emulator
