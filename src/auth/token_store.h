// The per-account credentials file, <config>/gdmount/<account>/token.json,
// written by `gdmount auth` and read (and updated on refresh) by the mount.
//
// Design: the file holds long-lived secrets (a refresh token), so the
// directory is 0700 and the file 0600, and Load refuses a file other users
// could read. Save replaces the file atomically (temp file in the same
// directory, fsync, rename, fsync the directory), so a crash leaves either
// the old or the new credentials, never a torn file.
//
// Thread safety: a TokenStore is thread-compatible; concurrent Saves from
// different processes are safe (each uses its own temp file; the last
// rename wins).
#pragma once

#include <cstdint>
#include <string>

#include "gdmount/result.h"
#include "gdmount/status.h"

namespace gdmount::auth {

inline constexpr const char* kAuthorizedUser = "authorized_user";
inline constexpr const char* kServiceAccount = "service_account";

struct StoredCredentials {
  std::string type;  // kAuthorizedUser | kServiceAccount
  // authorized_user
  std::string client_id, client_secret, refresh_token, access_token, scope,
      token_url;          // token_url empty: Google's
  int64_t expiry_ms = 0;  // access_token expiry, Unix epoch ms; 0 = none
  // service_account (the key stays in its own file; never copied here)
  std::string key_file, subject;
};

// $XDG_CONFIG_HOME/gdmount/<account> (an absolute XDG_CONFIG_HOME only, as
// the XDG spec says), else $HOME/.config/gdmount/<account>.
// Errors: InvalidArgument if `account` is not [A-Za-z0-9._-]{1,64} or
// starts with '.', or neither variable gives a directory.
Result<std::string> AccountConfigDir(const std::string& account);

class TokenStore {
 public:
  // `dir` holds token.json; it need not exist yet.
  explicit TokenStore(std::string dir);

  // Creates `dir` (and missing parents) with mode 0700, tightens `dir` to
  // 0700 if it is looser, and atomically replaces token.json (mode 0600).
  // Leaves no temp file behind, also on failure.
  // Errors: InvalidArgument for an unknown `type`, Io (with the path and
  // the system error) otherwise.
  Status Save(const StoredCredentials& creds);

  // Errors: NotFound "not signed in: run `gdmount auth`" when there is no
  // file; PermissionDenied (with the `chmod 600` fix) when group or others
  // have any access to it; Corruption (with the path) for malformed JSON or
  // missing required fields; Io otherwise.
  Result<StoredCredentials> Load() const;

  // <dir>/token.json
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace gdmount::auth
