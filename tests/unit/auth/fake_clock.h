// The auth tests use the shared FakeClock (tests/support/fake_clock.h).
#pragma once

#include "tests/support/fake_clock.h"

namespace gdmount::auth::testing {
using gdmount::testing::FakeClock;
}  // namespace gdmount::auth::testing
