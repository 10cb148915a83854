// The real Drive client stack (CurlTransport + DriveClientImpl with the
// emulator's static token, unpaced) pointed at an EmulatorFixture, for
// integration tests of the layers above drive/.
#pragma once

#include <functional>
#include <memory>

#include "drive/drive_client_impl.h"
#include "http/curl_transport.h"
#include "tests/support/emulator_fixture.h"

namespace gdmount::testing {

struct DriveRig {
  // `through`, if given, is the transport the client sends on: a test's
  // wrapper around `inner` (the real one), which it must outlive the rig.
  explicit DriveRig(const EmulatorFixture& fx, uint64_t seed = 1,
                    const std::function<HttpTransport*(HttpTransport* inner)>&
                        through = nullptr)
      : tokens(EmulatorFixture::kToken),
        transport(http::CurlTransport::Create({}).value()),
        random(MakeSeededRandom(seed)) {
    drive::DriveClientOptions o;
    o.endpoints.api_root = fx.url();
    o.endpoints.upload_root = fx.url();
    o.pacer.rate_per_s = 0;
    HttpTransport* send = through ? through(transport.get()) : transport.get();
    client = std::make_unique<drive::DriveClientImpl>(
        o, send, &tokens, RealClock(), random.get());
  }
  StaticTokenSource tokens;
  std::unique_ptr<http::CurlTransport> transport;
  std::unique_ptr<RandomSource> random;
  std::unique_ptr<drive::DriveClientImpl> client;
};

}  // namespace gdmount::testing
