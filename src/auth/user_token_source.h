// TokenSource for a signed-in user: the access token from the token file,
// refreshed with the stored refresh token shortly before it expires or
// after a 401 (RefreshingTokenCache: single flight, no lock across HTTP).
//
// After each refresh the new access token and expiry (and a rotated refresh
// token, if the server sent one; otherwise the old one is kept) are saved
// through the TokenStore, so a remount starts with a valid token. A failed
// save is logged as a WARNING and is not fatal; a save never overwrites a
// token file that a newer `gdmount auth` wrote meanwhile.
//
// Once the token endpoint rejects the refresh token (revoked, expired),
// that Unauthenticated error is remembered and returned without further
// requests, until the token file holds a different refresh token (the user
// ran `gdmount auth`), which is then adopted.
//
// Thread safety: thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "auth/refreshing_token_cache.h"
#include "auth/token_store.h"
#include "gdmount/clock.h"
#include "gdmount/http_transport.h"
#include "gdmount/token_source.h"

namespace gdmount::auth {

class UserTokenSource : public TokenSource {
 public:
  using Options = TokenSourceOptions;

  // `http`, `clock` and `store` (nullable: nothing is persisted) must
  // outlive this object. REQUIRES: creds.type is kAuthorizedUser.
  UserTokenSource(HttpTransport& http, Clock& clock, StoredCredentials creds,
                  TokenStore* store, Options options = {});

  // Errors: Unauthenticated (refresh token rejected, or none stored; the
  // message says to run `gdmount auth`), Unavailable (retryable).
  Result<std::string> AuthorizationHeader() override;
  void Invalidate(const std::string& header) override;

 private:
  // The cache's fetcher; runs at most once at a time.
  Result<FreshToken> Refresh();
  // The credentials to refresh with, or the remembered fatal error.
  Result<StoredCredentials> CredentialsForRefresh();
  void Persist(const StoredCredentials& creds,
               const std::string& used_refresh_token);

  HttpTransport& http_;
  Clock& clock_;
  TokenStore* const store_;

  std::mutex mu_;
  StoredCredentials creds_;  // GUARDED_BY(mu_)
  Status dead_;              // GUARDED_BY(mu_); fatal refresh error or OK

  RefreshingTokenCache cache_;  // last: its fetcher uses the members above
};

}  // namespace gdmount::auth
