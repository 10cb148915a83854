// RFC 3339 times as Drive writes them (UTC, milliseconds, "Z") and reads them
// (any offset, optional fraction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gdmount::emulator {

std::string FormatRfc3339(int64_t ms_since_epoch);
// Parses "2024-05-01T12:34:56.789Z" / "+02:00" offsets / no zone (UTC).
std::optional<int64_t> ParseRfc3339(std::string_view s);

}  // namespace gdmount::emulator
