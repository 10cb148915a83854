#include "daemon/wiring.h"

#include "auth/token_source_factory.h"
#include "auth/token_store.h"
#include "gdmount/clock.h"
#include "gdmount/random.h"

namespace gdmount::daemon {

Result<std::unique_ptr<http::CurlTransport>> MakeTransport(
    const config::Settings& s) {
  http::CurlTransportOptions o;
  o.http2 = s.http2;
  o.proxy = s.proxy;
  o.ca_bundle = s.ca_bundle;
  o.connect_timeout = std::chrono::seconds(s.connect_timeout_s);
  o.low_speed_time = std::chrono::seconds(s.stall_timeout_s);
  return http::CurlTransport::Create(o);
}

namespace {

// Keeps the TokenStore alive as long as the source that persists into it.
class StoreOwningTokenSource : public TokenSource {
 public:
  StoreOwningTokenSource(std::unique_ptr<auth::TokenStore> store,
                         std::unique_ptr<TokenSource> inner)
      : store_(std::move(store)), inner_(std::move(inner)) {}
  Result<std::string> AuthorizationHeader() override {
    return inner_->AuthorizationHeader();
  }
  void Invalidate(const std::string& header) override {
    inner_->Invalidate(header);
  }

 private:
  std::unique_ptr<auth::TokenStore> store_;
  std::unique_ptr<TokenSource> inner_;
};

}  // namespace

Result<std::unique_ptr<TokenSource>> MakeTokenSource(const config::Settings& s,
                                                     HttpTransport& transport) {
  auto dir = auth::AccountConfigDir(s.account);
  if (!dir.ok()) return dir.status();
  auto store = std::make_unique<auth::TokenStore>(*dir);
  auto creds = store->Load();
  if (!creds.ok()) return creds.status();
  // The token file remembers the endpoint it was issued by.
  if (creds->token_url.empty()) creds->token_url = s.token_url;
  auto source =
      auth::MakeTokenSource(transport, *RealClock(), *creds, store.get());
  if (!source.ok()) return source.status();
  return std::unique_ptr<TokenSource>(
      new StoreOwningTokenSource(std::move(store), std::move(source.value())));
}

Result<std::unique_ptr<drive::DriveClientImpl>> MakeDriveClient(
    const config::Settings& s, HttpTransport* transport, TokenSource* tokens) {
  drive::DriveClientOptions o;
  o.endpoints.api_root = s.api_url;
  o.endpoints.upload_root = s.upload_url;
  o.pacer.rate_per_s = s.pacer_rate;
  o.pacer.burst = s.pacer_burst;
  o.retry.max_attempts = s.retry_attempts;
  o.chunk_size = s.chunk_size;
  o.multipart_threshold = s.multipart_threshold;
  Status valid = drive::ValidateOptions(o);
  if (!valid.ok()) return valid;
  return std::make_unique<drive::DriveClientImpl>(o, transport, tokens,
                                                  RealClock(), SecureRandom());
}

Result<DriveStack> MakeDriveStack(const config::Settings& settings) {
  DriveStack stack;
  auto transport = MakeTransport(settings);
  if (!transport.ok()) return transport.status();
  stack.transport = std::move(*transport);
  auto tokens = MakeTokenSource(settings, *stack.transport);
  if (!tokens.ok()) return tokens.status();
  stack.tokens = std::move(*tokens);
  auto client =
      MakeDriveClient(settings, stack.transport.get(), stack.tokens.get());
  if (!client.ok()) return client.status();
  stack.client = std::move(*client);
  return stack;
}

}  // namespace gdmount::daemon
