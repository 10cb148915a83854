#include "auth/token_source_factory.h"

#include "auth/oauth_client.h"
#include "auth/service_account.h"
#include "auth/service_account_token_source.h"
#include "auth/user_token_source.h"

namespace gdmount::auth {

Result<std::unique_ptr<TokenSource>> MakeTokenSource(
    HttpTransport& http, Clock& clock, const StoredCredentials& creds,
    TokenStore* store, TokenSourceOptions options) {
  if (creds.type == kAuthorizedUser) {
    return std::unique_ptr<TokenSource>(
        new UserTokenSource(http, clock, creds, store, options));
  }
  if (creds.type == kServiceAccount) {
    Result<ServiceAccountKey> key = ReadServiceAccountKeyFile(creds.key_file);
    if (!key.ok()) return key.status();
    return std::unique_ptr<TokenSource>(new ServiceAccountTokenSource(
        http, clock, std::move(*key),
        creds.scope.empty() ? kDriveScope : creds.scope, creds.subject,
        creds.token_url, options));
  }
  return InvalidArgumentError("unknown credentials type \"" +
                              creds.type.substr(0, 40) + "\"");
}

}  // namespace gdmount::auth
