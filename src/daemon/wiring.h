// Wiring: builds the concrete transport, token source and Drive client from
// Settings. The daemon module is the only one that sees them all
// (STYLE.md section 1).
#pragma once

#include <memory>
#include <string>

#include "config/settings.h"
#include "drive/drive_client_impl.h"
#include "gdmount/token_source.h"
#include "http/curl_transport.h"

namespace gdmount::daemon {

Result<std::unique_ptr<http::CurlTransport>> MakeTransport(
    const config::Settings& settings);

// The signed-in account's token source (user OAuth or service account),
// from the token file `gdmount auth` wrote.
// Errors: NotFound "not signed in" (with the command to run),
// PermissionDenied/Corruption for a bad token file.
Result<std::unique_ptr<TokenSource>> MakeTokenSource(
    const config::Settings& settings, HttpTransport& transport);

Result<std::unique_ptr<drive::DriveClientImpl>> MakeDriveClient(
    const config::Settings& settings, HttpTransport* transport,
    TokenSource* tokens);

// The signed-in account's Drive client with what it runs on: the three
// above, in the order they depend on each other. Declared in this order so
// the client goes first.
struct DriveStack {
  std::unique_ptr<http::CurlTransport> transport;
  std::unique_ptr<TokenSource> tokens;
  std::unique_ptr<drive::DriveClientImpl> client;
};
Result<DriveStack> MakeDriveStack(const config::Settings& settings);

}  // namespace gdmount::daemon
