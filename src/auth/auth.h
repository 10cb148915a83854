// src/auth: how gdmount obtains the bearer token every Drive call carries.
//
// Design note. Two kinds of credentials, both ending in a TokenSource
// (include/gdmount/token_source.h) that DriveClient asks for a header:
//
//   `gdmount auth` (user)                     `gdmount auth --service-account`
//   sign_in: PKCE + state + auth URL          sign_in: read key file, mint a
//     -> browser -> loopback_receiver or        JWT (service_account), try it
//        pasted URL (oauth_client)              (token_endpoint)
//     -> token_endpoint: code -> tokens                |
//     -> token_store: <config>/<account>/token.json <--+  (0600, atomic)
//
//   mount: token_store.Load -> token_source_factory
//     -> UserTokenSource (refresh_token grant)      |  both share one
//     -> ServiceAccountTokenSource (JWT grant)      |  RefreshingTokenCache
//
// Invariants: secrets (tokens, codes, PKCE verifiers, client secrets,
// private keys, assertions) never appear in a Status message or a log line;
// the token file and its directory are private to the user; at most one
// refresh per TokenSource is in flight, and no lock is held across HTTP.
// auth/ talks HTTP only through the HttpTransport seam and parses JSON only
// with nlohmann's non-throwing parse.
//
// This header only collects the module's public headers.
#pragma once

#include "auth/oauth_client.h"
#include "auth/pkce.h"
#include "auth/service_account.h"
#include "auth/service_account_token_source.h"
#include "auth/sign_in.h"
#include "auth/token_endpoint.h"
#include "auth/token_source_factory.h"
#include "auth/token_store.h"
#include "auth/user_token_source.h"
