// Query-parameter validation against the discovery document, and typed
// parameter access with Drive's error answers.
#include <algorithm>

#include "tests/emulator/emulator.h"

namespace gdmount::emulator {
namespace {

const nlohmann::json* MethodDoc(const nlohmann::json& disc,
                                const std::string& id) {
  size_t dot = id.find('.');
  if (dot == std::string::npos) return nullptr;
  auto res = disc["resources"].find(id.substr(0, dot));
  if (res == disc["resources"].end()) return nullptr;
  auto methods = res->find("methods");
  if (methods == res->end()) return nullptr;
  auto m = methods->find(id.substr(dot + 1));
  return m == methods->end() ? nullptr : &*m;
}

// Parameters outside the discovery document that real clients send and
// Google accepts on upload URLs.
bool IsUploadParam(const std::string& name) {
  return name == "uploadType" || name == "upload_id" ||
         name == "upload_protocol";
}

}  // namespace

bool Emulator::ValidateParams(Call& call) {
  if (const std::string* f = call.req.Param("fields")) {
    call.fields = *f;
    call.has_fields = true;
  }
  bool b = false;
  if (!BoolParam(call, "prettyPrint", true, &call.pretty)) return false;
  if (!BoolParam(call, "supportsAllDrives", false, &b)) return false;
  call.scope.supports_all_drives = b;
  if (!BoolParam(call, "supportsTeamDrives", false, &b)) return false;
  call.scope.supports_all_drives |= b;
  if (!BoolParam(call, "includeItemsFromAllDrives", false, &b)) return false;
  call.scope.include_all_drives = b;
  if (!BoolParam(call, "includeTeamDriveItems", false, &b)) return false;
  call.scope.include_all_drives |= b;
  if (call.discovery_id.empty()) return true;
  const nlohmann::json* doc = MethodDoc(discovery_, call.discovery_id);
  if (!doc) return true;
  const auto& globals = discovery_["parameters"];
  const auto& params = doc->value("parameters", nlohmann::json::object());
  for (const auto& [name, value] : call.req.params) {
    const nlohmann::json* spec = nullptr;
    if (params.contains(name))
      spec = &params[name];
    else if (globals.contains(name))
      spec = &globals[name];
    if (!spec) {
      if (IsUploadParam(name) || !options_.strict_params) continue;
      SendError(
          call,
          BadRequest("Invalid JSON payload received. Unknown name \"" + name +
                         "\": Cannot bind query parameter. Field '" + name +
                         "' could not be found in request message.",
                     "invalid", name, "parameter"));
      return false;
    }
    if (spec->value("location", "query") != "query") continue;  // path params
    std::string type = spec->value("type", "string");
    if (type == "boolean") {
      std::string v = value;
      std::transform(v.begin(), v.end(), v.begin(), ::tolower);
      if (v != "true" && v != "false") {
        SendError(call,
                  InvalidParameter(name, "Invalid value '" + value +
                                             "'. Values must match the "
                                             "following regular expression: "
                                             "'(?i)true|false'"));
        return false;
      }
    } else if (type == "integer") {
      bool digits =
          !value.empty() && value.size() < 10 &&
          std::all_of(value.begin() + (value[0] == '-'), value.end(),
                      [](char c) {
                        return std::isdigit(static_cast<unsigned char>(c));
                      });
      if (!digits) {
        SendError(call,
                  InvalidParameter(name, "Invalid value '" + value +
                                             "'. Values must be integers."));
        return false;
      }
    }
    if (spec->contains("enum") && name != "alt") {
      const auto& e = (*spec)["enum"];
      if (std::find(e.begin(), e.end(), value) == e.end()) {
        SendError(call,
                  InvalidParameter(name, "Invalid value '" + value + "'."));
        return false;
      }
    }
  }
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (it.value().value("required", false) &&
        it.value().value("location", "") == "query" &&
        !call.req.Param(it.key())) {
      SendError(call, BadRequest("Required parameter: " + it.key(), "required",
                                 it.key(), "parameter"));
      return false;
    }
  }
  if (const std::string* alt = call.req.Param("alt")) {
    bool media_ok =
        call.method == "files.get.media" || call.method == "files.export";
    if (*alt != "json" && !(*alt == "media" && media_ok)) {
      SendError(call, InvalidParameter("alt",
                                       "Invalid value '" + *alt + "' for alt"));
      return false;
    }
  }
  return true;
}

bool Emulator::BoolParam(Call& call, const char* name, bool def, bool* out) {
  *out = def;
  const std::string* v = call.req.Param(name);
  if (!v) return true;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "true" || s == "false") {
    *out = s == "true";
    return true;
  }
  SendError(call,
            InvalidParameter(name, "Invalid value '" + *v +
                                       "' for boolean parameter " + name));
  return false;
}

bool Emulator::IntParam(Call& call, const char* name, int64_t def, int64_t lo,
                        int64_t hi, int64_t* out) {
  *out = def;
  const std::string* v = call.req.Param(name);
  if (!v) return true;
  char* end = nullptr;
  long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || x < lo) {
    SendError(call, InvalidParameter(
                        name, "Invalid value '" + *v +
                                  "'. Values must be within the range: [" +
                                  std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]"));
    return false;
  }
  *out = std::min<int64_t>(x, hi);  // Drive coerces too-large page sizes
  return true;
}

std::string Emulator::StrParam(const Call& call, const char* name) const {
  const std::string* v = call.req.Param(name);
  return v ? *v : std::string();
}

bool Emulator::ReadJsonBody(Call& call, nlohmann::json* out) {
  std::string body;
  if (Status s = call.req.ReadAllBody(&body, options_.max_json_body); !s.ok()) {
    SendError(call,
              BadRequest("Request body too large or broken.", "badRequest"));
    return false;
  }
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    *out = nlohmann::json::object();
    return true;
  }
  *out = nlohmann::json::parse(body, nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    SendError(call, BadRequest("Invalid JSON payload received.", "parseError"));
    return false;
  }
  return true;
}

}  // namespace gdmount::emulator
