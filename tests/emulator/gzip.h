// Gzip for JSON responses, as Google documents for its APIs ("Performance
// tips"): a response is gzip-encoded when the request sends
// `Accept-Encoding: gzip` AND its User-Agent contains "gzip". Media bodies
// are never encoded (byte ranges and md5s are of the stored bytes).
#pragma once

#include <string>
#include <string_view>

namespace gdmount::emulator {

// True if a request with these headers (values as sent; "" if absent) gets
// a gzip-encoded response.
bool WantsGzip(std::string_view accept_encoding, std::string_view user_agent);

// RFC 1952 gzip of `data` (fast level: the emulator stands in for servers
// whose compression time is not part of what it measures).
std::string Gzip(std::string_view data);

// The inverse, for tests of what went over the wire. Throws
// std::runtime_error on data that is not one complete gzip member.
std::string Gunzip(std::string_view data);

}  // namespace gdmount::emulator
