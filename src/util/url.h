// URL pieces: percent-encoding (RFC 3986), query strings and
// application/x-www-form-urlencoded bodies, and a small URL splitter.
// Pure functions; nothing here throws or does I/O.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::util {

// Percent-encodes everything except RFC 3986 unreserved characters
// [A-Za-z0-9-._~] (so it is safe in a query value and a path segment).
std::string PercentEncode(std::string_view s);
// Decodes %XX escapes; with `plus_is_space` (form bodies, query strings) a
// '+' is a space. InvalidArgument on a malformed escape.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// "a=1&b=x%20y" from ordered pairs (values and names percent-encoded).
std::string EncodeQuery(
    const std::vector<std::pair<std::string, std::string>>& params);
// Parses "a=1&b=x%20y" (no leading '?'); '+' is a space; a repeated name
// keeps the first value; a name without '=' has an empty value.
// InvalidArgument on a malformed escape.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

struct UrlParts {
  std::string scheme;  // lower-cased: "http", "https"
  std::string host;    // lower-cased; IPv6 without brackets ("::1")
  int port = 0;        // 0 when absent
  std::string path;    // "/" when absent
  std::string query;   // without '?'; "" when absent
  std::string fragment;
};
// Splits an absolute URL "scheme://[userinfo@]host[:port][/path][?q][#f]".
// InvalidArgument when there is no scheme or host, or the port is not a
// number in 1..65535.
Result<UrlParts> SplitUrl(std::string_view url);

}  // namespace gdmount::util
