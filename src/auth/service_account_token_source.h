// TokenSource for a service account: mints an RS256 JWT assertion
// (service_account.h), exchanges it at the token endpoint, caches the
// access token and mints a new one shortly before it expires or after a
// 401 (RefreshingTokenCache: single flight, no lock across HTTP). Nothing
// is persisted: a JWT can always be minted again from the key.
//
// Thread safety: thread-safe.
#pragma once

#include <string>

#include "auth/refreshing_token_cache.h"
#include "auth/service_account.h"
#include "gdmount/clock.h"
#include "gdmount/http_transport.h"
#include "gdmount/token_source.h"

namespace gdmount::auth {

class ServiceAccountTokenSource : public TokenSource {
 public:
  using Options = TokenSourceOptions;

  // `scope`: space-separated scopes. `subject`: user to impersonate with
  // domain-wide delegation, or empty. `token_url`: where to post the
  // assertion when non-empty, else key.token_uri; the JWT `aud` is always
  // the URL actually used. `http` and `clock` must outlive this object.
  ServiceAccountTokenSource(HttpTransport& http, Clock& clock,
                            ServiceAccountKey key, std::string scope,
                            std::string subject, std::string token_url,
                            Options options = {});

  // Errors: Unauthenticated (assertion rejected, key unusable, delegation
  // not allowed), Unavailable (retryable).
  Result<std::string> AuthorizationHeader() override;
  void Invalidate(const std::string& header) override;

  // The token endpoint in use (and the assertions' audience).
  const std::string& token_url() const { return token_url_; }

 private:
  Result<FreshToken> Mint();

  HttpTransport& http_;
  Clock& clock_;
  const ServiceAccountKey key_;
  const std::string scope_;
  const std::string subject_;
  const std::string token_url_;
  RefreshingTokenCache cache_;  // last: its fetcher uses the members above
};

}  // namespace gdmount::auth
