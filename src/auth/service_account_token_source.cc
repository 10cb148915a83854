#include "auth/service_account_token_source.h"

#include <utility>

#include "auth/token_endpoint.h"
#include "gdmount/log.h"

namespace gdmount::auth {
namespace {

std::string EffectiveTokenUrl(const std::string& override_url,
                              const ServiceAccountKey& key) {
  if (!override_url.empty()) return override_url;
  if (!key.token_uri.empty()) return key.token_uri;
  return kGoogleTokenUrl;
}

}  // namespace

ServiceAccountTokenSource::ServiceAccountTokenSource(
    HttpTransport& http, Clock& clock, ServiceAccountKey key, std::string scope,
    std::string subject, std::string token_url, Options options)
    : http_(http),
      clock_(clock),
      key_(std::move(key)),
      scope_(std::move(scope)),
      subject_(std::move(subject)),
      token_url_(EffectiveTokenUrl(token_url, key_)),
      cache_(clock, options, [this] { return Mint(); }) {}

Result<std::string> ServiceAccountTokenSource::AuthorizationHeader() {
  return cache_.AuthorizationHeader();
}

void ServiceAccountTokenSource::Invalidate(const std::string& header) {
  cache_.Invalidate(header);
}

Result<FreshToken> ServiceAccountTokenSource::Mint() {
  const auto now = clock_.SystemNow();
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
          .count();
  Result<std::string> assertion =
      MakeJwtAssertion(key_, scope_, token_url_, subject_, now_s);
  if (!assertion.ok()) return assertion.status();
  Result<TokenGrant> grant =
      ExchangeJwtAssertion(http_, token_url_, *assertion);
  if (!grant.ok()) {
    GDMOUNT_LOG(kWarning) << "service-account token request for "
                          << key_.client_email
                          << " failed: " << grant.status().ToString();
    return grant.status();
  }
  GDMOUNT_LOG(kInfo) << "minted a service-account access token for "
                     << key_.client_email << "; valid for "
                     << grant->expires_in_s << " s";
  return FreshToken{grant->access_token,
                    now + std::chrono::seconds(grant->expires_in_s)};
}

}  // namespace gdmount::auth
