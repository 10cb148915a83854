#include "drive/json_peek.h"

#include <cstring>

namespace gdmount::drive {
namespace {

// A cursor over JSON text that can skip values without building them.
// Every method leaves `pos` at or before `end` and returns false on text it
// cannot make sense of.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  bool Consume(char c) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // A string starting at the cursor; *raw is its text between the quotes,
  // escapes left as they are; *escaped whether it has any.
  bool String(std::string_view* raw, bool* escaped) {
    if (AtEnd() || text_[pos_] != '"') return false;
    const size_t start = ++pos_;
    *escaped = false;
    while (true) {
      const void* q =
          std::memchr(text_.data() + pos_, '"', text_.size() - pos_);
      if (q == nullptr) return false;
      size_t quote = static_cast<const char*>(q) - text_.data();
      // The quote ends the string unless an odd number of backslashes
      // precede it.
      size_t slashes = 0;
      while (quote - slashes > start && text_[quote - slashes - 1] == '\\')
        ++slashes;
      if (slashes > 0 ||
          std::memchr(text_.data() + start, '\\', quote - start) != nullptr)
        *escaped = true;
      pos_ = quote + 1;
      if (slashes % 2 == 0) {
        *raw = text_.substr(start, quote - start);
        return true;
      }
    }
  }

  // Any value: strings, nested objects and arrays (by depth, strings
  // skipped whole so their brackets do not count), and scalars.
  bool SkipValue() {
    SkipSpace();
    if (AtEnd()) return false;
    std::string_view raw;
    bool escaped = false;
    char c = text_[pos_];
    if (c == '"') return String(&raw, &escaped);
    if (c != '{' && c != '[') {
      while (!AtEnd() && text_[pos_] != ',' && text_[pos_] != '}' &&
             text_[pos_] != ']' && !IsSpace(text_[pos_]))
        ++pos_;
      return true;
    }
    size_t depth = 0;
    while (!AtEnd()) {
      c = text_[pos_];
      if (c == '"') {
        if (!String(&raw, &escaped)) return false;
        continue;
      }
      ++pos_;
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }

 private:
  static bool IsSpace(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> PeekNextPageToken(std::string_view body) {
  constexpr std::string_view kKey = "nextPageToken";
  Scanner s(body);
  if (!s.Consume('{')) return std::nullopt;
  s.SkipSpace();
  if (!s.AtEnd() && s.Peek() == '}') return std::string();
  while (true) {
    s.SkipSpace();
    std::string_view key;
    bool escaped = false;
    if (!s.String(&key, &escaped) || !s.Consume(':')) return std::nullopt;
    s.SkipSpace();
    if (!escaped && key == kKey) {
      if (s.AtEnd() || s.Peek() != '"') return std::nullopt;
      std::string_view value;
      if (!s.String(&value, &escaped) || escaped) return std::nullopt;
      return std::string(value);
    }
    if (!s.SkipValue()) return std::nullopt;
    if (s.Consume(',')) continue;
    if (s.Consume('}')) return std::string();
    return std::nullopt;
  }
}

}  // namespace gdmount::drive
