// Turns stored credentials into the TokenSource the mount hands to
// DriveClient: UserTokenSource for authorized_user, ServiceAccountTokenSource
// (key read from creds.key_file) for service_account.
//
// Thread safety: thread-safe; the returned source is too.
#pragma once

#include <memory>

#include "auth/refreshing_token_cache.h"
#include "auth/token_store.h"
#include "gdmount/clock.h"
#include "gdmount/http_transport.h"
#include "gdmount/result.h"
#include "gdmount/token_source.h"

namespace gdmount::auth {

// `http`, `clock` and `store` (nullable; used only for authorized_user, to
// persist refreshed tokens) must outlive the returned source.
// Errors: InvalidArgument for an unknown type; the key file's errors
// (service_account.h: ReadServiceAccountKeyFile) for service_account.
Result<std::unique_ptr<TokenSource>> MakeTokenSource(
    HttpTransport& http, Clock& clock, const StoredCredentials& creds,
    TokenStore* store, TokenSourceOptions options = {});

}  // namespace gdmount::auth
