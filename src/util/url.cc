#include "util/url.h"

namespace gdmount::util {
namespace {

constexpr int kMaxPort = 65535;

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

// RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool IsValidScheme(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = ToLower(s[i]);
    bool alpha = c >= 'a' && c <= 'z';
    bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!alpha && (i == 0 || !other)) return false;
  }
  return true;
}

// Controls, spaces and the delimiters that cannot appear in a host.
bool IsValidHost(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '/' || c == '?' || c == '#' ||
        c == '@' || c == '[' || c == ']' || c == '\\') {
      return false;
    }
  }
  return true;
}

Result<int> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return InvalidArgumentError("URL port must be a number in 1..65535");
  }
  int port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError("URL port must be a number in 1..65535");
    }
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > kMaxPort) {
    return InvalidArgumentError("URL port must be a number in 1..65535");
  }
  return port;
}

// Splits "host[:port]" or "[v6]:port" (userinfo already removed).
Status SplitHostPort(std::string_view hostport, UrlParts* parts) {
  std::string_view host = hostport;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError("URL has an unterminated IPv6 address");
    }
    host = hostport.substr(1, close - 1);
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return InvalidArgumentError("URL has junk after an IPv6 address");
      }
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      has_port = true;
    }
  }
  if (!IsValidHost(host)) return InvalidArgumentError("URL has no valid host");
  parts->host = Lower(host);
  if (has_port) {
    Result<int> p = ParsePort(port);
    if (!p.ok()) return p.status();
    parts->port = *p;
  }
  return Status::Ok();
}

}  // namespace

std::string PercentEncode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 15]);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("malformed percent-escape");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EncodeQuery(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncode(name);
    out.push_back('=');
    out += PercentEncode(value);
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (item.empty()) continue;  // "a=1&&b=2"
    size_t eq = item.find('=');
    Result<std::string> name = PercentDecode(item.substr(0, eq), true);
    if (!name.ok()) return name.status();
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    Result<std::string> value = PercentDecode(raw_value, true);
    if (!value.ok()) return value.status();
    out.emplace(std::move(*name), std::move(*value));  // first value wins
  }
  return out;
}

Result<UrlParts> SplitUrl(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || !IsValidScheme(url.substr(0, sep))) {
    return InvalidArgumentError("URL has no scheme");
  }
  UrlParts parts;
  parts.scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);

  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    parts.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  size_t qmark = rest.find('?');
  if (qmark != std::string_view::npos) {
    parts.query = std::string(rest.substr(qmark + 1));
    rest = rest.substr(0, qmark);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  parts.path =
      slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  // The userinfo ends at the last '@' of the authority.
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  Status s = SplitHostPort(authority, &parts);
  if (!s.ok()) return s;
  return parts;
}

}  // namespace gdmount::util
