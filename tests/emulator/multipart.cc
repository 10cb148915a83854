#include "tests/emulator/multipart.h"

#include <cctype>
#include <optional>
#include <utility>

#include "gdmount/status.h"

namespace gdmount::emulator {
namespace {

constexpr std::string_view kSpaceChars = " \t\r\n";

std::string_view Trim(std::string_view s) {
  size_t first = s.find_first_not_of(kSpaceChars);
  if (first == std::string_view::npos) return {};
  size_t last = s.find_last_not_of(kSpaceChars);
  return s.substr(first, last - first + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Where a delimiter line sits: `start` is the index of its "--boundary",
// `next` the index just past its line break (the next part's first byte).
struct Delimiter {
  size_t start = 0;
  size_t next = 0;
  bool close = false;
  bool crlf = false;  // the line ended in CRLF rather than a bare LF
};

// Checks what follows "--boundary" at `pos`: "--" (close delimiter, anything
// may follow) or optional padding then a line break. Anything else means the
// text merely starts with the boundary and is not a delimiter.
std::optional<Delimiter> DelimiterTail(std::string_view body, size_t start,
                                       size_t pos) {
  Delimiter d;
  d.start = start;
  if (body.substr(pos, 2) == "--") {
    d.close = true;
    d.next = body.size();
    return d;
  }
  while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
  if (body.substr(pos, 2) == "\r\n") {
    d.crlf = true;
    d.next = pos + 2;
    return d;
  }
  if (body.substr(pos, 1) == "\n") {
    d.next = pos + 1;
    return d;
  }
  return std::nullopt;
}

// First delimiter at or after `from` that starts a line and begins after
// `min_start` (so the line break before it lies inside the current part).
std::optional<Delimiter> FindDelimiter(std::string_view body,
                                       std::string_view dash_boundary,
                                       size_t from, size_t min_start) {
  while (true) {
    size_t p = body.find(dash_boundary, from);
    if (p == std::string_view::npos) return std::nullopt;
    bool line_start = p == 0 || body[p - 1] == '\n';
    if (line_start && p >= min_start) {
      auto d = DelimiterTail(body, p, p + dash_boundary.size());
      if (d) return d;
    }
    from = p + 1;
  }
}

// Splits one part (the bytes between two delimiters) into headers and body.
MultipartPart ParsePart(std::string_view content) {
  MultipartPart part;
  std::string last_key;  // target of folded continuation lines; "" = none
  size_t pos = 0;
  while (true) {
    size_t eol = content.find('\n', pos);
    std::string_view line = content.substr(pos, eol == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {  // end of headers
      if (eol != std::string_view::npos) part.body = content.substr(eol + 1);
      return part;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !last_key.empty()) {
      part.headers[last_key] += " " + std::string(Trim(line));
    } else {
      last_key.clear();
      size_t colon = line.find(':');
      std::string key = Lower(
          Trim(line.substr(0, colon == std::string_view::npos ? 0 : colon)));
      if (colon != std::string_view::npos && !key.empty() &&
          part.headers.count(key) == 0) {
        part.headers[key] = std::string(Trim(line.substr(colon + 1)));
        last_key = key;
      }
    }
    if (eol == std::string_view::npos) return part;  // headers only
    pos = eol + 1;
  }
}

}  // namespace

std::string MultipartBoundary(std::string_view content_type) {
  size_t pos = content_type.find(';');
  while (pos != std::string_view::npos && pos < content_type.size()) {
    ++pos;  // past ';'
    size_t eq = content_type.find_first_of("=;", pos);
    if (eq == std::string_view::npos) break;
    if (content_type[eq] == ';') {  // parameter without a value
      pos = eq;
      continue;
    }
    std::string name = Lower(Trim(content_type.substr(pos, eq - pos)));
    pos = eq + 1;
    while (pos < content_type.size() &&
           (content_type[pos] == ' ' || content_type[pos] == '\t')) {
      ++pos;
    }
    std::string value;
    if (pos < content_type.size() && content_type[pos] == '"') {
      // quoted-string: a backslash escapes the next character.
      for (++pos; pos < content_type.size() && content_type[pos] != '"';
           ++pos) {
        if (content_type[pos] == '\\' && pos + 1 < content_type.size()) ++pos;
        value += content_type[pos];
      }
      pos = content_type.find(';', pos);
    } else {
      size_t end = content_type.find(';', pos);
      value = std::string(Trim(content_type.substr(
          pos,
          end == std::string_view::npos ? std::string_view::npos : end - pos)));
      pos = end;
    }
    if (name == "boundary") return value;
  }
  return "";
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body) {
  const std::string boundary = MultipartBoundary(content_type);
  if (boundary.empty()) {
    return InvalidArgumentError("multipart Content-Type has no boundary: " +
                                std::string(content_type));
  }
  const std::string dash_boundary = "--" + boundary;

  auto first = FindDelimiter(body, dash_boundary, 0, 0);
  if (!first) {
    return InvalidArgumentError("multipart body has no boundary delimiter");
  }
  if (first->close) return InvalidArgumentError("multipart body has no parts");
  // The first delimiter line decides the body's line-break style; see
  // multipart.h for why a bare-LF body never loses a trailing '\r'.
  const bool crlf = first->crlf;

  std::vector<MultipartPart> parts;
  size_t part_start = first->next;
  while (true) {
    auto next = FindDelimiter(body, dash_boundary, part_start, part_start + 1);
    if (!next) {
      return InvalidArgumentError("multipart body has no close delimiter");
    }
    size_t end = next->start - 1;  // the '\n' before "--boundary"
    if (crlf && end > part_start && body[end - 1] == '\r') --end;
    parts.push_back(ParsePart(body.substr(part_start, end - part_start)));
    if (next->close) return parts;
    part_start = next->next;
  }
}

}  // namespace gdmount::emulator
