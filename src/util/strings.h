// Small string helpers shared by modules.
#pragma once

#include <string>
#include <string_view>

namespace gdmount::util {

// At most `max` bytes of `s` with every byte outside printable ASCII
// replaced by '?': safe to echo untrusted server text into a message.
inline std::string PrintableAscii(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

// `s` with &, <, >, " and ' replaced by HTML entities.
inline std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace gdmount::util
