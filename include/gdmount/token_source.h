// Authentication seam: where DriveClient gets its Authorization header.
// auth/ implements it for OAuth user tokens (refreshing, persisted) and for
// service accounts (JWT bearer); tests use StaticTokenSource.
//
// Thread safety: implementations are thread-safe; concurrent callers share
// one refresh (single flight).
#pragma once

#include <string>
#include <utility>

#include "gdmount/result.h"

namespace gdmount {

class TokenSource {
 public:
  virtual ~TokenSource() = default;

  // "Bearer <token>", refreshed shortly before it expires.
  // Errors: Unauthenticated (the grant is gone: signed out, revoked,
  // expired refresh token — the message tells the user to run
  // `gdmount auth`), Unavailable (token endpoint unreachable; retryable).
  virtual Result<std::string> AuthorizationHeader() = 0;

  // The server answered 401 to a request that carried `header`. The next
  // AuthorizationHeader() refreshes, unless another thread already replaced
  // that token.
  virtual void Invalidate(const std::string& header) = 0;
};

// A fixed token (tests, `--access-token`). Invalidate is a no-op.
class StaticTokenSource : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  Result<std::string> AuthorizationHeader() override {
    return "Bearer " + token_;
  }
  void Invalidate(const std::string&) override {}

 private:
  std::string token_;
};

}  // namespace gdmount
