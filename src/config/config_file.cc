#include "config/config_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <system_error>

namespace gdmount::config {
namespace {

// A config file is a few hundred bytes; the cap keeps a mistaken path (a
// device, a log file) from being read into memory whole.
constexpr size_t kMaxFileBytes = size_t{1} << 20;
// Further away than this, a "did you mean" is noise rather than a typo fix.
constexpr size_t kMaxSuggestDistance = 3;
// Text echoed into messages is cut here so that garbage input cannot
// produce megabyte-long errors.
constexpr size_t kMaxEchoBytes = 60;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBareKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) ||
         c == '_' || c == '-';
}
// TOML forbids these (C0 controls but tab, and DEL) in strings and comments.
bool IsControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// `s` for an error message: controls escaped, cut at kMaxEchoBytes on a
// UTF-8 boundary so that the message stays valid UTF-8.
std::string Echo(std::string_view s) {
  size_t cut = std::min(s.size(), kMaxEchoBytes);
  while (cut > 0 && cut < s.size() && (s[cut] & 0xC0) == 0x80) --cut;
  std::string out;
  for (char c : s.substr(0, cut)) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
    out += IsControl(c) ? std::string(hex) : std::string(1, c);
  }
  return cut < s.size() ? out + "..." : out;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid
// (including overlong forms, surrogates and code points past U+10FFFF).
size_t Utf8Length(std::string_view s, size_t i) {
  static constexpr uint32_t kMinCodePoint[] = {0, 0, 0x80, 0x800, 0x10000};
  auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  if (lead < 0xC0 || lead > 0xF7) return 0;
  size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  if (s.size() - i < len) return 0;
  uint32_t cp = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  bool scalar = cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
  return scalar && cp >= kMinCodePoint[len] ? len : 0;
}

// REQUIRES: cp is a Unicode scalar value.
void AppendUtf8(uint32_t cp, std::string* out) {
  static constexpr unsigned char kLead[] = {0, 0xC0, 0xE0, 0xF0};
  int extra = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
  out->push_back(static_cast<char>(kLead[extra] | (cp >> (6 * extra))));
  for (int k = extra - 1; k >= 0; --k) {
    out->push_back(static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3F)));
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);  // one row of the DP table
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min(
          {above + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = above;
    }
  }
  return row[b.size()];
}

// The first `n` segments, dotted.
std::string Join(const std::vector<std::string>& segs, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "." : "") + segs[i];
  return out;
}

// `pattern` with its "*" segments taken from `key`; "" if it has a "*" and
// a different number of segments, so that it cannot match `key`.
std::string Instantiate(std::string_view pattern,
                        const std::vector<std::string>& key) {
  std::vector<std::string> segs(1);
  for (char c : pattern) {
    if (c == '.') segs.emplace_back();
    if (c != '.') segs.back() += c;
  }
  bool wild = pattern.find('*') != std::string_view::npos;
  if (segs.size() != key.size()) return wild ? "" : std::string(pattern);
  for (size_t i = 0; i < segs.size(); ++i) {
    if (segs[i] == "*") segs[i] = key[i];
  }
  return Join(segs, segs.size());
}

// One pass over the text. The Parse* methods consume the current line
// (line_, from pos_); parsing stops at the first error.
class Parser {
 public:
  Parser(std::string_view path, const std::vector<std::string>& patterns)
      : path_(path), patterns_(patterns) {}
  Result<ConfigMap> Run(std::string_view text);

 private:
  Status ParseLine(std::string_view line);
  Status ParseHeader();
  Status ParseKeyValue();
  Result<std::vector<std::string>> ParseKey();
  Result<ConfigValue> ParseValue();
  Result<std::string> ParseString(char quote);
  Status ParseEscape(std::string* out);
  Status ParseInteger(std::string_view token, int64_t* out) const;
  Status ExpectLineEnd(const char* after);
  Status CheckKnown(const std::vector<std::string>& full) const;

  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return AtEnd() ? '\n' : line_[pos_]; }
  void SkipSpaces() {
    while (IsSpace(Peek())) ++pos_;
  }
  Status Error(const std::string& what) const {
    return InvalidArgumentError(std::string(path_) + ":" +
                                std::to_string(line_no_) + ": " + what);
  }

  const std::string_view path_;
  const std::vector<std::string>& patterns_;
  std::string_view line_;
  size_t pos_ = 0;
  int line_no_ = 0;
  std::vector<std::string> table_;      // segments of the current [table]
  std::map<std::string, int> headers_;  // [table] -> line
  ConfigMap values_;
};

Result<ConfigMap> Parser::Run(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  for (size_t start = 0; start <= text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
    ++line_no_;
    if (Status s = ParseLine(line); !s.ok()) return s;
    start = end + 1;
  }
  return std::move(values_);
}

Status Parser::ParseLine(std::string_view line) {
  for (size_t i = 0, len = 0; i < line.size(); i += len) {
    if ((len = Utf8Length(line, i)) == 0) return Error("invalid UTF-8");
  }
  line_ = line;
  pos_ = 0;
  SkipSpaces();
  if (AtEnd() || Peek() == '#') return ExpectLineEnd("");
  return Peek() == '[' ? ParseHeader() : ParseKeyValue();
}

Status Parser::ParseHeader() {
  ++pos_;  // '['
  if (Peek() == '[') return Error("arrays of tables are not supported");
  Result<std::vector<std::string>> segs = ParseKey();
  if (!segs.ok()) return segs.status();
  if (Peek() != ']') return Error("expected ']' after table name");
  ++pos_;
  auto [it, inserted] = headers_.emplace(Join(*segs, segs->size()), line_no_);
  if (!inserted) {
    return Error("table [" + Echo(it->first) + "] is already defined on line " +
                 std::to_string(it->second));
  }
  table_ = std::move(*segs);
  return ExpectLineEnd("table header");
}

Status Parser::ParseKeyValue() {
  Result<std::vector<std::string>> key = ParseKey();
  if (!key.ok()) return key.status();
  if (Peek() != '=') {
    return Error("expected '=' after '" + Echo(Join(*key, key->size())) + "'");
  }
  ++pos_;
  SkipSpaces();
  Result<ConfigValue> value = ParseValue();
  if (!value.ok()) return value.status();
  if (Status s = ExpectLineEnd("value"); !s.ok()) return s;
  std::vector<std::string> full = table_;
  full.insert(full.end(), key->begin(), key->end());
  if (Status s = CheckKnown(full); !s.ok()) return s;
  auto [it, inserted] =
      values_.emplace(Join(full, full.size()), std::move(*value));
  if (!inserted) {
    return Error("duplicate key '" + Echo(it->first) + "' (first set on line " +
                 std::to_string(it->second.line) + ")");
  }
  return Status::Ok();
}

// A dotted bare key, with optional whitespace around the dots as in TOML.
Result<std::vector<std::string>> Parser::ParseKey() {
  std::vector<std::string> segs;
  for (;;) {
    SkipSpaces();
    size_t start = pos_;
    while (IsBareKeyChar(Peek())) ++pos_;
    char c = Peek();
    bool empty = pos_ == start;
    if (empty && (c == '"' || c == '\'')) {
      return Error("quoted keys are not supported");
    }
    if (empty && (AtEnd() || c == '=' || c == '.' || c == ']')) {
      return Error("missing key name");
    }
    if (!AtEnd() && !IsSpace(c) && c != '=' && c != '.' && c != ']') {
      return Error("invalid character '" +
                   Echo(line_.substr(pos_, Utf8Length(line_, pos_))) +
                   "' in key (allowed: A-Z a-z 0-9 _ -)");
    }
    segs.emplace_back(line_.substr(start, pos_ - start));
    SkipSpaces();
    if (Peek() != '.') return segs;
    ++pos_;
  }
}

Result<ConfigValue> Parser::ParseValue() {
  ConfigValue v;
  v.line = line_no_;
  char c = Peek();
  if (AtEnd() || c == '#') return Error("missing value");
  if (c == '[' || c == '{') {
    return Error("arrays and inline tables are not supported");
  }
  if (c == '"' || c == '\'') {
    Result<std::string> s = ParseString(c);
    if (!s.ok()) return s.status();
    v.str = std::move(*s);
    return v;
  }
  size_t start = pos_;
  while (!AtEnd() && !IsSpace(Peek()) && Peek() != '#') ++pos_;
  std::string_view token = line_.substr(start, pos_ - start);
  if (token == "true" || token == "false") {
    v.type = ConfigValue::Type::kBool;
    v.b = token == "true";
    return v;
  }
  v.type = ConfigValue::Type::kInt;
  if (Status s = ParseInteger(token, &v.i); !s.ok()) return s;
  return v;
}

// A basic ("...", with escapes) or literal ('...') single-line string.
Result<std::string> Parser::ParseString(char quote) {
  if (line_.substr(pos_, 3) == std::string(3, quote)) {
    return Error("multi-line strings are not supported");
  }
  std::string out;
  for (++pos_; !AtEnd();) {
    char c = line_[pos_++];
    if (c == quote) return out;
    if (IsControl(c)) return Error("control character in string");
    if (c != '\\' || quote == '\'') {
      out.push_back(c);
    } else if (Status s = ParseEscape(&out); !s.ok()) {
      return s;
    }
  }
  return Error("unterminated string");
}

// Called after a backslash in a basic string; appends the decoded escape.
Status Parser::ParseEscape(std::string* out) {
  constexpr std::string_view kSimple = "\"\\btnfr";
  constexpr std::string_view kDecoded = "\"\\\b\t\n\f\r";
  if (AtEnd()) return Error("unterminated string");
  char c = line_[pos_++];
  if (size_t k = kSimple.find(c); k != std::string_view::npos) {
    out->push_back(kDecoded[k]);
    return Status::Ok();
  }
  std::string name = Echo(line_.substr(pos_ - 1, Utf8Length(line_, pos_ - 1)));
  if (c != 'u' && c != 'U') return Error("invalid escape '\\" + name + "'");
  size_t digits = c == 'u' ? 4 : 8;
  std::string_view hex = line_.substr(pos_, digits);
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
  if (hex.size() != digits || ec != std::errc() || end != hex.end()) {
    return Error("\\" + name + " needs " + std::to_string(digits) +
                 " hex digits");
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return Error("\\" + name + " escape is not a Unicode scalar value");
  }
  pos_ += digits;
  AppendUtf8(cp, out);
  return Status::Ok();
}

// TOML decimal integer: optional sign, no leading zeros, each '_' between
// two digits; must fit in int64.
Status Parser::ParseInteger(std::string_view token, int64_t* out) const {
  size_t i = !token.empty() && (token[0] == '+' || token[0] == '-') ? 1 : 0;
  if (i >= token.size() || !IsDigit(token[i])) {
    return Error("invalid value '" + Echo(token) +
                 "' (expected a quoted string, an integer, true or false)");
  }
  Status bad = Error("invalid integer '" + Echo(token) + "'");
  if (token[i] == '0' && i + 1 < token.size()) return bad;  // also 0x, 0o, 0b
  std::string digits = token[0] == '-' ? "-" : "";  // from_chars takes no '+'
  for (; i < token.size(); ++i) {
    bool separator = token[i] == '_' && IsDigit(token[i - 1]) &&
                     i + 1 < token.size() && IsDigit(token[i + 1]);
    if (!separator && !IsDigit(token[i])) return bad;
    if (!separator) digits += token[i];
  }
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  if (ec != std::errc())
    return Error("integer '" + Echo(token) + "' is out of range");
  return Status::Ok();
}

Status Parser::ExpectLineEnd(const char* after) {
  SkipSpaces();
  if (Peek() != '#' && !AtEnd()) {
    return Error("unexpected '" + Echo(line_.substr(pos_)) + "' after " +
                 after);
  }
  for (char c : line_.substr(pos_)) {
    if (IsControl(c)) return Error("control character in comment");
  }
  return Status::Ok();
}

// Keys are shown relative to the current [table] when the suggestion lies
// inside it, which is how the user wrote the line.
Status Parser::CheckKnown(const std::vector<std::string>& full) const {
  std::string key = Join(full, full.size());
  std::vector<std::string> candidates;
  for (const std::string& pattern : patterns_) {
    std::string candidate = Instantiate(pattern, full);
    if (candidate == key) return Status::Ok();
    if (!candidate.empty()) candidates.push_back(std::move(candidate));
  }
  std::string suggestion = ClosestMatch(key, candidates);
  std::string prefix = Join(table_, table_.size()) + ".";
  if (!table_.empty() && suggestion.compare(0, prefix.size(), prefix) == 0) {
    key.erase(0, prefix.size());
    suggestion.erase(0, prefix.size());
  }
  std::string hint =
      suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)";
  return Error("unknown key '" + Echo(key) + "'" + hint);
}

std::string ErrnoText(const std::string& path, int err) {
  return path + ": " + std::generic_category().message(err);
}

// Plain read(2) rather than a stream, to tell NotFound from
// PermissionDenied by errno. Pipes work (`--config <(...)`); a directory
// fails with EISDIR on the first read.
Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    return NotFoundError(ErrnoText(path, errno));
  }
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    return Status(StatusCode::kPermissionDenied, ErrnoText(path, errno));
  }
  if (fd < 0) return IoError(ErrnoText(path, errno));
  std::string text;
  char buf[8192];
  ssize_t n = 0;
  while (text.size() <= kMaxFileBytes &&
         (n = ::read(fd, buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  int read_errno = errno;
  ::close(fd);
  if (n < 0) return IoError(ErrnoText(path, read_errno));
  if (text.size() > kMaxFileBytes) {
    return InvalidArgumentError(path + ": larger than 1 MiB");
  }
  return text;
}

}  // namespace

std::string ConfigValue::AsText() const {
  if (type == Type::kInt) return std::to_string(i);
  if (type == Type::kBool) return b ? "true" : "false";
  return str;
}

Result<ConfigMap> ParseConfig(
    std::string_view text, std::string_view path,
    const std::vector<std::string>& known_key_patterns) {
  return Parser(path, known_key_patterns).Run(text);
}

Result<ConfigMap> LoadConfigFile(
    const std::string& path,
    const std::vector<std::string>& known_key_patterns) {
  Result<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path, known_key_patterns);
}

std::string ClosestMatch(std::string_view word,
                         const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = kMaxSuggestDistance + 1;
  for (const std::string& candidate : candidates) {
    // The length gap is a lower bound on the distance; skipping on it keeps
    // a huge `word` (garbage input) cheap.
    size_t gap = std::max(word.size(), candidate.size()) -
                 std::min(word.size(), candidate.size());
    if (gap >= best_distance) continue;
    size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best ? *best : std::string();
}

}  // namespace gdmount::config
