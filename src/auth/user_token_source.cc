#include "auth/user_token_source.h"

#include <utility>

#include "auth/service_account.h"
#include "auth/token_endpoint.h"
#include "gdmount/log.h"

namespace gdmount::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

int64_t ToUnixMs(system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

system_clock::time_point FromUnixMs(int64_t ms) {
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(milliseconds(ms)));
}

}  // namespace

UserTokenSource::UserTokenSource(HttpTransport& http, Clock& clock,
                                 StoredCredentials creds, TokenStore* store,
                                 Options options)
    : http_(http),
      clock_(clock),
      store_(store),
      creds_(std::move(creds)),
      cache_(clock, options, [this] { return Refresh(); }) {
  if (!creds_.access_token.empty() && creds_.expiry_ms > 0) {
    cache_.Seed(creds_.access_token, FromUnixMs(creds_.expiry_ms));
  }
}

Result<std::string> UserTokenSource::AuthorizationHeader() {
  return cache_.AuthorizationHeader();
}

void UserTokenSource::Invalidate(const std::string& header) {
  cache_.Invalidate(header);
}

Result<StoredCredentials> UserTokenSource::CredentialsForRefresh() {
  Status dead;
  StoredCredentials creds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead = dead_;
    creds = creds_;
  }
  if (!dead.ok()) {
    // Adopt a new sign-in if `gdmount auth` has replaced the token file.
    Result<StoredCredentials> stored =
        store_ ? store_->Load() : Result<StoredCredentials>(dead);
    if (!stored.ok() || stored->type != kAuthorizedUser ||
        stored->refresh_token == creds.refresh_token) {
      return dead;
    }
    GDMOUNT_LOG(kInfo) << "using the new sign-in from " << store_->path();
    std::lock_guard<std::mutex> lock(mu_);
    creds_ = *stored;
    dead_ = Status::Ok();
    return *stored;
  }
  if (creds.refresh_token.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "no refresh token is stored: run `gdmount auth`");
  }
  return creds;
}

Result<FreshToken> UserTokenSource::Refresh() {
  Result<StoredCredentials> creds = CredentialsForRefresh();
  if (!creds.ok()) return creds.status();
  const std::string used_refresh_token = creds->refresh_token;
  const system_clock::time_point start = clock_.SystemNow();
  OAuthClient client{creds->client_id, creds->client_secret, creds->scope};
  const std::string url =
      creds->token_url.empty() ? kGoogleTokenUrl : creds->token_url;
  Result<TokenGrant> grant =
      RefreshAccessToken(http_, url, client, used_refresh_token);
  if (!grant.ok()) {
    GDMOUNT_LOG(kWarning) << "access token refresh failed: "
                          << grant.status().ToString();
    if (grant.status().code() != StatusCode::kUnavailable) {
      std::lock_guard<std::mutex> lock(mu_);
      dead_ = grant.status();
    }
    return grant.status();
  }
  const system_clock::time_point expiry =
      start + std::chrono::seconds(grant->expires_in_s);
  creds->access_token = grant->access_token;
  creds->expiry_ms = ToUnixMs(expiry);
  if (!grant->refresh_token.empty())
    creds->refresh_token = grant->refresh_token;
  {
    std::lock_guard<std::mutex> lock(mu_);
    creds_ = *creds;
  }
  GDMOUNT_LOG(kInfo) << "refreshed the access token; valid for "
                     << grant->expires_in_s << " s";
  Persist(*creds, used_refresh_token);
  return FreshToken{grant->access_token, expiry};
}

void UserTokenSource::Persist(const StoredCredentials& creds,
                              const std::string& used_refresh_token) {
  if (store_ == nullptr) return;
  Result<StoredCredentials> on_disk = store_->Load();
  if (on_disk.ok() && on_disk->refresh_token != used_refresh_token) {
    GDMOUNT_LOG(kInfo) << store_->path()
                       << " holds a newer sign-in; not overwriting it";
    return;
  }
  Status s = store_->Save(creds);
  if (!s.ok()) {
    GDMOUNT_LOG(kWarning) << "could not save the refreshed token: "
                          << s.ToString();
  }
}

}  // namespace gdmount::auth
