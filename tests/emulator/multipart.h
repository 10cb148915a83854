// `multipart/related` request bodies (uploadType=multipart, protocol guide
// §5.2), parsed leniently enough for every official client we test with.
//
// The two clients differ on the wire:
//   Node googleapis-common: CRLF, lower-case `content-type:` part headers,
//     unquoted UUID boundary, no line break after the close delimiter.
//   Python googleapiclient 1.7.12: bare LF, `boundary="===...=="` (quoted),
//     extra `MIME-Version` / `Content-Transfer-Encoding` part headers, LF
//     after the close delimiter.
//
// Parsing rules (RFC 2046 §5.1.1, relaxed):
//   * A delimiter is "--" + boundary at the start of a line, followed by
//     optional spaces/tabs and a line break; the close delimiter is followed
//     by "--" and then anything (the epilogue is ignored). The preamble
//     before the first delimiter is ignored.
//   * Exactly one line break before each delimiter belongs to the delimiter.
//     The line-break style is taken from the first delimiter line: in a bare
//     LF body only "\n" is stripped (so media ending in '\r' survives), in a
//     CRLF body "\r\n" (or a lone "\n") is stripped.
//   * Part headers end at the first empty line (CRLF or LF); a part with no
//     empty line is all headers and has an empty body. Header lines without
//     ':' are skipped; folded lines continue the previous value.
//   * Part bodies are returned byte-exact and may contain any bytes,
//     including CR, LF, NUL and "--".
// The media type of `content_type` is not checked (the caller dispatches on
// it); only its boundary parameter is used.
//
// Stateless; safe to call from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::emulator {

struct MultipartPart {
  // Header names lower-cased, values trimmed of surrounding whitespace. A
  // repeated header keeps its first value.
  std::map<std::string, std::string> headers;
  std::string body;  // byte-exact
};

// Splits `body` into its parts using the boundary parameter of
// `content_type` (the request's Content-Type header; the boundary may be
// quoted, the parameter name is case-insensitive). Returns InvalidArgument
// when there is no (or an empty) boundary parameter, no opening delimiter,
// no close delimiter, or no parts.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body);

// The boundary parameter of a Content-Type header value, unquoted; "" if
// absent. Exposed for tests and for callers that only need to sniff it.
std::string MultipartBoundary(std::string_view content_type);

}  // namespace gdmount::emulator
