// PeekNextPageToken: a list response's nextPageToken read from the raw text
// without decoding the page, so the next request can start while this page
// is decoded and stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gdmount::drive {

// The top-level "nextPageToken" string of a JSON object: "" when the object
// has no such member (the last page). nullopt when the text is not a
// well-formed-looking object, the member is not a plain string (escapes
// included), or anything else makes the answer uncertain; callers then wait
// for the full decode. Never reads past body.end().
std::optional<std::string> PeekNextPageToken(std::string_view body);

}  // namespace gdmount::drive
