// Random URL-safe identifiers ([A-Za-z0-9_-]), like Drive's file ids, upload
// ids and OAuth tokens. Thread-safe (one generator per thread).
#pragma once

#include <cstddef>
#include <string>

namespace gdmount::emulator {

std::string RandomUrlSafe(size_t length);

}  // namespace gdmount::emulator
