#include "auth/token_endpoint.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "gdmount/log.h"
#include "util/strings.h"
#include "util/url.h"

namespace gdmount::auth {
namespace {

using json = nlohmann::json;
using Form = std::vector<std::pair<std::string, std::string>>;

enum class Grant { kCode, kRefresh, kJwt };

// Google answers in well under a second; a stuck endpoint must not hang a
// FUSE thread waiting for a token.
constexpr std::chrono::seconds kTokenRequestTimeout{30};
// RFC 6749 makes expires_in optional; Google's tokens live an hour.
constexpr int64_t kDefaultExpiresInS = 3600;
// Bound for expires_in (a year): larger values are garbage.
constexpr int64_t kMaxExpiresInS = 365LL * 24 * 3600;
// error_description is echoed to the user; keep it readable.
constexpr size_t kMaxDescription = 300;
constexpr const char* kJwtBearerGrant =
    "urn:ietf:params:oauth:grant-type:jwt-bearer";

const char* GrantName(Grant grant) {
  switch (grant) {
    case Grant::kCode:
      return "authorization_code";
    case Grant::kRefresh:
      return "refresh_token";
    case Grant::kJwt:
      return "jwt-bearer";
  }
  return "?";
}

std::string Printable(std::string_view s) {
  return util::PrintableAscii(s, kMaxDescription);
}

// The string member `key` of a JSON object, or "".
std::string StringField(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Status WithHttp(Status s, const HttpResponse& resp) {
  s.set_http_status(resp.status);
  const std::string retry_after = resp.Header("retry-after");
  if (!retry_after.empty() && retry_after.size() < 7 &&
      retry_after.find_first_not_of("0123456789") == std::string::npos) {
    s.set_retry_after(std::chrono::seconds(std::stoll(retry_after)));
  }
  return s;
}

Status InvalidGrant(Grant grant, const std::string& detail) {
  std::string m;
  switch (grant) {
    case Grant::kCode:
      m = "the authorization code was rejected (" + detail +
          "): it expired, was already used, or does not match this "
          "sign-in's PKCE verifier; run `gdmount auth` again";
      break;
    case Grant::kRefresh:
      m = "refresh token revoked or expired (" + detail +
          ") — run `gdmount auth` again";
      break;
    case Grant::kJwt:
      m = "the service-account JWT was rejected (" + detail +
          "): check that the key file is current (not deleted in the Cloud "
          "console) and that the system clock is correct";
      break;
  }
  return Status(StatusCode::kUnauthenticated, std::move(m));
}

Status ErrorFromResponse(Grant grant, const HttpResponse& resp) {
  json j = json::parse(resp.body, nullptr, false);
  const std::string error = Printable(StringField(j, "error"));
  const std::string desc = Printable(StringField(j, "error_description"));
  std::string detail = "HTTP " + std::to_string(resp.status);
  if (!error.empty()) detail += ", " + error;
  if (!desc.empty()) detail += ": " + desc;
  if (resp.status == 429 || resp.status >= 500 || resp.status < 400) {
    return WithHttp(
        Status(StatusCode::kUnavailable, "the token endpoint is unavailable (" +
                                             detail + "); try again later"),
        resp);
  }
  if (error == "invalid_grant")
    return WithHttp(InvalidGrant(grant, detail), resp);
  if (error == "invalid_client" || (error.empty() && resp.status == 401)) {
    return WithHttp(
        Status(StatusCode::kUnauthenticated,
               "the OAuth client id/secret was rejected (" + detail + ")"),
        resp);
  }
  std::string m = "the token endpoint rejected the " +
                  std::string(GrantName(grant)) + " request (" + detail + ")";
  if (grant == Grant::kJwt && error == "unauthorized_client") {
    m += ": domain-wide delegation is not set up for this subject and scope";
  }
  return WithHttp(InvalidArgumentError(std::move(m)), resp);
}

Status Malformed(const HttpResponse& resp, const char* why) {
  return WithHttp(Status(StatusCode::kUnavailable,
                         std::string("malformed token response: ") + why),
                  resp);
}

Result<TokenGrant> ParseGrant(const HttpResponse& resp) {
  json j = json::parse(resp.body, nullptr, false);
  if (!j.is_object()) return Malformed(resp, "not a JSON object");
  TokenGrant g;
  g.access_token = StringField(j, "access_token");
  if (g.access_token.empty()) return Malformed(resp, "no access_token");
  g.refresh_token = StringField(j, "refresh_token");
  g.scope = StringField(j, "scope");
  g.token_type = StringField(j, "token_type");
  if (!g.token_type.empty() && g.token_type != "Bearer" &&
      g.token_type != "bearer") {
    return Malformed(resp, "token_type is not Bearer");
  }
  g.expires_in_s = kDefaultExpiresInS;
  if (j.contains("expires_in")) {
    const json& e = j["expires_in"];
    if (!e.is_number_integer() || e.get<int64_t>() <= 0 ||
        e.get<int64_t>() > kMaxExpiresInS) {
      return Malformed(resp, "bad expires_in");
    }
    g.expires_in_s = e.get<int64_t>();
  }
  return g;
}

Result<TokenGrant> PostGrant(HttpTransport& http, const std::string& url,
                             Grant grant, const Form& form) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = util::EncodeQuery(form);
  req.timeout = kTokenRequestTimeout;
  req.log_name = "oauth.token";
  Result<HttpResponse> resp = http.Send(req);
  if (!resp.ok()) {
    GDMOUNT_LOG(kDebug) << "oauth.token " << GrantName(grant)
                        << " failed: " << resp.status().ToString();
    if (resp.status().code() == StatusCode::kInvalidArgument) {
      return InvalidArgumentError("token endpoint URL refused: " +
                                  resp.status().message());
    }
    return Status(
        StatusCode::kUnavailable,
        "cannot reach the token endpoint: " + resp.status().message());
  }
  GDMOUNT_LOG(kDebug) << "oauth.token " << GrantName(grant) << " -> HTTP "
                      << resp->status;
  if (resp->status < 200 || resp->status > 299) {
    return ErrorFromResponse(grant, *resp);
  }
  return ParseGrant(*resp);
}

std::vector<std::string> SplitScopes(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Granular consent: the user may untick scopes on the consent screen.
Status CheckGrantedScope(const std::string& requested,
                         const std::string& granted) {
  if (granted.empty()) return Status::Ok();  // not reported: trust the grant
  std::vector<std::string> have = SplitScopes(granted);
  for (const std::string& want : SplitScopes(requested)) {
    bool found = false;
    for (const std::string& h : have) found = found || h == want;
    if (!found) {
      return Status(StatusCode::kPermissionDenied,
                    "you did not grant access to " + want +
                        ": run `gdmount auth` again and, on the consent "
                        "screen, tick the checkbox that lets gdmount see and "
                        "edit your Google Drive files");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TokenGrant> ExchangeCode(HttpTransport& http,
                                const std::string& token_url,
                                const OAuthClient& client,
                                const std::string& code,
                                const std::string& redirect_uri,
                                const std::string& verifier) {
  Result<TokenGrant> grant = PostGrant(http, token_url, Grant::kCode,
                                       {{"grant_type", "authorization_code"},
                                        {"code", code},
                                        {"redirect_uri", redirect_uri},
                                        {"client_id", client.client_id},
                                        {"client_secret", client.client_secret},
                                        {"code_verifier", verifier}});
  if (!grant.ok()) return grant;
  Status scope = CheckGrantedScope(client.scope, grant->scope);
  if (!scope.ok()) return scope;
  return grant;
}

Result<TokenGrant> RefreshAccessToken(HttpTransport& http,
                                      const std::string& token_url,
                                      const OAuthClient& client,
                                      const std::string& refresh_token) {
  return PostGrant(http, token_url, Grant::kRefresh,
                   {{"grant_type", "refresh_token"},
                    {"refresh_token", refresh_token},
                    {"client_id", client.client_id},
                    {"client_secret", client.client_secret}});
}

Result<TokenGrant> ExchangeJwtAssertion(HttpTransport& http,
                                        const std::string& token_url,
                                        const std::string& assertion) {
  return PostGrant(http, token_url, Grant::kJwt,
                   {{"grant_type", kJwtBearerGrant}, {"assertion", assertion}});
}

}  // namespace gdmount::auth
