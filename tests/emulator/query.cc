#include "tests/emulator/query.h"

#include <cstddef>
#include <utility>
#include <vector>

namespace gdmount::emulator {

// ---------------------------------------------------------------------------
// Syntax tree.

enum class Field {
  kName,
  kFullText,
  kMimeType,
  kModifiedTime,
  kCreatedTime,
  kViewedByMeTime,
  kTrashed,
  kStarred,
  kSharedWithMe,
  kVisibility,
  kShortcutTarget,
  kProperties,
  kAppProperties,
  kParents,
  kOwners,
  kWriters,
  kReaders
};

enum class Op { kContains, kEq, kNe, kLt, kLe, kGt, kGe, kIn, kHas };

struct Predicate {
  Field field = Field::kName;
  Op op = Op::kEq;
  std::string value;      // as written, unescaped (`has`: the property value)
  std::string key;        // `has`: the property key
  std::u32string folded;  // contains: the case-folded value
  // fullText: every phrase (a list of case-folded words) must occur.
  std::vector<std::vector<std::u32string>> phrases;
  int64_t time_ms = 0;  // *Time terms
  bool flag = false;    // boolean terms
};

namespace internal {

struct QueryNode {
  enum class Kind { kAnd, kOr, kNot, kPredicate };
  explicit QueryNode(Kind k) : kind(k) {}
  Kind kind;
  std::vector<std::unique_ptr<QueryNode>> children;  // kAnd, kOr, kNot
  Predicate pred;                                    // kPredicate
};

}  // namespace internal

using internal::QueryNode;
using NodePtr = std::unique_ptr<QueryNode>;

namespace {

// ---------------------------------------------------------------------------
// Unicode-light text matching. Names are UTF-8; we decode on the fly so that
// matching never allocates.

constexpr size_t kNoMatch = std::string_view::npos;

// Decodes the code point at s[*i] and advances *i. A malformed byte decodes
// as itself (Latin-1) so that matching stays total on arbitrary bytes.
char32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  const size_t len = b0 < 0x80           ? 1
                     : (b0 >> 5) == 0x6  ? 2
                     : (b0 >> 4) == 0xE  ? 3
                     : (b0 >> 3) == 0x1E ? 4
                                         : 0;
  if (len <= 1 || *i + len > s.size()) {
    ++*i;
    return b0;
  }
  char32_t cp = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += len;
  return cp;
}

// Simple lower-case folding for the scripts most names use.
char32_t FoldCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // Latin-1
  if (c >= 0x100 && c <= 0x17F) {                          // Latin Ext-A
    if (c == 0x178) return 0xFF;
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || c >= 0x179;
    if (c == 0x138 || c == 0x149 || c == 0x17F) return c;
    return ((c % 2 == 1) == odd_upper) ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;  // Greek
  if (c == 0x3C2) return 0x3C3;                               // final sigma
  if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
  }
  if (c <= 0xBF || c == 0xD7 || c == 0xF7) return false;  // Latin-1 symbols
  if (c >= 0x2000 && c <= 0x206F) return false;           // General Punctuation
  if (c >= 0x3000 && c <= 0x303F) return false;           // CJK punctuation
  return true;
}

std::u32string FoldUtf8(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) out.push_back(FoldCase(DecodeUtf8(s, &i)));
  return out;
}

// If needle (folded) occurs in text at byte offset pos, returns the byte
// offset just past it; otherwise kNoMatch.
size_t MatchFoldedAt(std::string_view text, size_t pos,
                     std::u32string_view needle) {
  for (char32_t want : needle) {
    if (pos >= text.size() || FoldCase(DecodeUtf8(text, &pos)) != want) {
      return kNoMatch;
    }
  }
  return pos;
}

bool ContainsFolded(std::string_view text, std::u32string_view needle,
                    QueryContext::NameContains mode) {
  using Mode = QueryContext::NameContains;
  if (needle.empty()) return true;
  bool at_word_start = true;  // start of text, or after a non-word char
  for (size_t i = 0; i < text.size();) {
    if ((mode == Mode::kSubstring || at_word_start) &&
        MatchFoldedAt(text, i, needle) != kNoMatch) {
      return true;
    }
    if (mode == Mode::kPrefix) return false;
    at_word_start = !IsWordChar(DecodeUtf8(text, &i));
  }
  return false;
}

// Finds the next word at or after *pos: sets [*begin, *end) and moves *pos
// past it. False when no word is left.
bool NextWord(std::string_view text, size_t* pos, size_t* begin, size_t* end) {
  size_t i = *pos;
  while (i < text.size()) {
    size_t j = i;
    if (IsWordChar(DecodeUtf8(text, &j))) break;
    i = j;
  }
  if (i >= text.size()) return false;
  *begin = i;
  while (i < text.size()) {
    size_t j = i;
    if (!IsWordChar(DecodeUtf8(text, &j))) break;
    i = j;
  }
  *end = *pos = i;
  return true;
}

bool WordEquals(std::string_view text, size_t begin, size_t end,
                std::u32string_view word) {
  return MatchFoldedAt(text.substr(0, end), begin, word) == end;
}

// True if the words of phrase occur consecutively in text.
bool ContainsPhrase(std::string_view text,
                    const std::vector<std::u32string>& phrase) {
  size_t pos = 0, begin = 0, end = 0;
  while (NextWord(text, &pos, &begin, &end)) {
    if (!WordEquals(text, begin, end, phrase[0])) continue;
    size_t next = end;
    bool all = true;
    for (size_t k = 1; all && k < phrase.size(); ++k) {
      all = NextWord(text, &next, &begin, &end) &&
            WordEquals(text, begin, end, phrase[k]);
    }
    if (all) return true;
  }
  return false;
}

// Splits a fullText value: each "quoted" segment is one phrase, each bare
// word its own phrase. An unterminated quote runs to the end.
std::vector<std::vector<std::u32string>> SplitFullText(std::string_view v) {
  std::vector<std::vector<std::u32string>> phrases;
  bool quoted = false;
  size_t seg_start = 0;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i < v.size() && v[i] != '"') continue;
    const std::string_view seg = v.substr(seg_start, i - seg_start);
    std::vector<std::u32string> words;
    size_t pos = 0, begin = 0, end = 0;
    while (NextWord(seg, &pos, &begin, &end)) {
      words.push_back(FoldUtf8(seg.substr(begin, end - begin)));
      if (!quoted) {  // a bare word is a phrase of its own
        phrases.push_back(std::move(words));
        words.clear();
      }
    }
    if (!words.empty()) phrases.push_back(std::move(words));
    quoted = !quoted;
    seg_start = i + 1;
  }
  return phrases;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// RFC 3339 date-times: YYYY-MM-DD(T|t| )HH:MM:SS[.frac][Z|z|(+|-)HH:MM].

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Parses the zone suffix starting at s[pos]; sets *offset_min (east of UTC).
bool ParseZone(std::string_view s, size_t pos, int* offset_min) {
  *offset_min = 0;
  if (pos == s.size()) return true;  // no zone: UTC
  if (s.size() == pos + 1 && (s[pos] == 'Z' || s[pos] == 'z')) return true;
  int hh = 0, mm = 0;
  if (s.size() != pos + 6 || (s[pos] != '+' && s[pos] != '-') ||
      !ReadDigits(s, pos + 1, 2, &hh) || s[pos + 3] != ':' ||
      !ReadDigits(s, pos + 4, 2, &mm) || hh > 23 || mm > 59) {
    return false;
  }
  *offset_min = (s[pos] == '-' ? -1 : 1) * (hh * 60 + mm);
  return true;
}

std::optional<int64_t> ParseRfc3339Ms(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, zone_min = 0;
  if (!ReadDigits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' ||
      !ReadDigits(s, 5, 2, &mo) || s[7] != '-' || !ReadDigits(s, 8, 2, &d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ReadDigits(s, 11, 2, &h) || s[13] != ':' || !ReadDigits(s, 14, 2, &mi) ||
      s[16] != ':' || !ReadDigits(s, 17, 2, &sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 ||
      mi > 59 || sec > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    const size_t first = ++pos;
    for (int digit = 0; pos < s.size() && ReadDigits(s, pos, 1, &digit);
         ++pos) {
      if (pos - first < 3) ms = ms * 10 + digit;
    }
    if (pos == first) return std::nullopt;
    for (size_t k = pos - first; k < 3; ++k) ms *= 10;
  }
  if (!ParseZone(s, pos, &zone_min)) return std::nullopt;
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                       sec - int64_t{zone_min} * 60;
  return secs * 1000 + ms;
}

// ---------------------------------------------------------------------------
// Lexer.

enum class Tok { kEnd, kString, kWord, kOp, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // unescaped string body, word, operator or bracket
  size_t pos = 0;    // byte offset in q
};

std::string At(size_t pos) {
  return " (at offset " + std::to_string(pos) + ")";
}

Status LexError(std::string msg, size_t pos) {
  return InvalidArgumentError("Invalid query: " + std::move(msg) + At(pos));
}

bool IsWordByte(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || (!first && c == '.');
}

// Reads the string literal opening at q[*i]; leaves *i past the closing quote.
Status LexString(std::string_view q, size_t* i, Token* tok) {
  const size_t start = (*i)++;
  for (; *i < q.size(); ++*i) {
    char c = q[*i];
    if (c == '\'') {
      ++*i;
      return Status::Ok();
    }
    if (c == '\\') {
      if (++*i == q.size()) break;
      c = q[*i];  // any escaped character stands for itself
    }
    tok->text.push_back(c);
  }
  return LexError("unterminated string literal", start);
}

Status LexOperator(std::string_view q, size_t* i, Token* tok) {
  const char c = q[*i];
  const bool eq_next = *i + 1 < q.size() && q[*i + 1] == '=';
  if (c == '!' && !eq_next) return LexError("'!' must be followed by '='", *i);
  tok->kind = Tok::kOp;
  tok->text = std::string(1, c) + (c != '=' && eq_next ? "=" : "");
  *i += tok->text.size();
  return Status::Ok();
}

Status Lex(std::string_view q, std::vector<Token>* out) {
  for (size_t i = 0; i < q.size();) {
    const char c = q[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token tok;
    tok.pos = i;
    Status s;
    if (c == '\'') {
      tok.kind = Tok::kString;
      s = LexString(q, &i, &tok);
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      s = LexOperator(q, &i, &tok);
    } else if (c == '(' || c == ')' || c == '{' || c == '}') {
      tok.kind = Tok::kPunct;
      tok.text = std::string(1, c);
      ++i;
    } else if (IsWordByte(c, /*first=*/true)) {
      tok.kind = Tok::kWord;
      while (i < q.size() && IsWordByte(q[i], /*first=*/false))
        tok.text += q[i++];
    } else {
      return LexError(std::string("unexpected character '") + c + "'", i);
    }
    if (!s.ok()) return s;
    out->push_back(std::move(tok));
  }
  Token end;
  end.pos = q.size();
  out->push_back(std::move(end));
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Term table.

enum class ValueKind { kString, kBool, kTime, kVisibility, kNone };

constexpr unsigned Bit(Op op) { return 1u << static_cast<unsigned>(op); }
constexpr unsigned kEqNe = Bit(Op::kEq) | Bit(Op::kNe);
constexpr unsigned kOrdered =
    kEqNe | Bit(Op::kLt) | Bit(Op::kLe) | Bit(Op::kGt) | Bit(Op::kGe);

struct TermInfo {
  const char* name;
  Field field;
  unsigned ops;
  ValueKind value;
};

constexpr TermInfo kTerms[] = {
    {"name", Field::kName, kEqNe | Bit(Op::kContains), ValueKind::kString},
    {"fullText", Field::kFullText, Bit(Op::kContains), ValueKind::kString},
    {"mimeType", Field::kMimeType, kEqNe | Bit(Op::kContains),
     ValueKind::kString},
    {"modifiedTime", Field::kModifiedTime, kOrdered, ValueKind::kTime},
    {"createdTime", Field::kCreatedTime, kOrdered, ValueKind::kTime},
    {"viewedByMeTime", Field::kViewedByMeTime, kOrdered, ValueKind::kTime},
    {"trashed", Field::kTrashed, kEqNe, ValueKind::kBool},
    {"starred", Field::kStarred, kEqNe, ValueKind::kBool},
    {"sharedWithMe", Field::kSharedWithMe, kEqNe, ValueKind::kBool},
    {"visibility", Field::kVisibility, kEqNe, ValueKind::kVisibility},
    {"shortcutDetails.targetId", Field::kShortcutTarget, kEqNe,
     ValueKind::kString},
    {"properties", Field::kProperties, Bit(Op::kHas), ValueKind::kNone},
    {"appProperties", Field::kAppProperties, Bit(Op::kHas), ValueKind::kNone},
    {"parents", Field::kParents, Bit(Op::kIn), ValueKind::kNone},
    {"owners", Field::kOwners, Bit(Op::kIn), ValueKind::kNone},
    {"writers", Field::kWriters, Bit(Op::kIn), ValueKind::kNone},
    {"readers", Field::kReaders, Bit(Op::kIn), ValueKind::kNone},
};

const TermInfo* FindTerm(std::string_view name) {
  for (const TermInfo& t : kTerms) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

constexpr const char* kVisibilities[] = {"anyoneCanFind", "anyoneWithLink",
                                         "domainCanFind", "domainWithLink",
                                         "limited"};

constexpr const char* kKeywords[] = {"and", "or",       "not",  "in",
                                     "has", "contains", "true", "false"};

// Keywords compare case-insensitively; operators and brackets have no case.
bool IsToken(const Token& t, Tok kind, std::string_view text) {
  return t.kind == kind && EqualsIgnoreAsciiCase(t.text, text);
}

bool IsKeyword(const Token& t, std::string_view kw) {
  return IsToken(t, Tok::kWord, kw);
}

bool IsAnyKeyword(const Token& t) {
  for (const char* kw : kKeywords) {
    if (IsKeyword(t, kw)) return true;
  }
  return false;
}

std::optional<Op> ComparisonOp(const Token& t) {
  if (IsKeyword(t, "contains")) return Op::kContains;
  if (t.kind != Tok::kOp) return std::nullopt;
  if (t.text == "=") return Op::kEq;
  if (t.text == "!=") return Op::kNe;
  if (t.text == "<") return Op::kLt;
  if (t.text == "<=") return Op::kLe;
  if (t.text == ">") return Op::kGt;
  if (t.text == ">=") return Op::kGe;
  return std::nullopt;
}

std::string Describe(const Token& t) {
  if (t.kind == Tok::kEnd) return "end of query";
  return (t.kind == Tok::kString ? "string '" : "'") + t.text + "'";
}

// ---------------------------------------------------------------------------
// Recursive-descent parser. On the first error it records a Status and
// returns nullptr all the way up.

constexpr int kMaxDepth = 64;  // bounds recursion on hostile input

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodePtr ParseQuery() {
    NodePtr root = ParseOr(0);
    if (root && Peek().kind != Tok::kEnd) {
      return Fail("unexpected " + Describe(Peek()) +
                  "; expected 'and', 'or' or end of query");
    }
    return root;
  }
  const Status& error() const { return error_; }
  bool uses_name_or_full_text() const { return uses_name_or_full_text_; }
  bool uses_full_text() const { return uses_full_text_; }

 private:
  const Token& Peek() const { return tokens_[next_]; }
  const Token& Take() {
    const Token& t = tokens_[next_];
    if (t.kind != Tok::kEnd) ++next_;
    return t;
  }
  NodePtr Fail(std::string msg) { return Fail(std::move(msg), Peek().pos); }
  NodePtr Fail(std::string msg, size_t pos) {
    if (error_.ok()) error_ = LexError(std::move(msg), pos);
    return nullptr;
  }
  // Consumes the next token if it is `text` of `kind`.
  bool Accept(Tok kind, std::string_view text) {
    if (!IsToken(Peek(), kind, text)) return false;
    Take();
    return true;
  }
  bool Expect(Tok kind, std::string_view text, std::string_view where) {
    if (Accept(kind, text)) return true;
    Fail("expected '" + std::string(text) + "' " + std::string(where) +
         " but found " + Describe(Peek()));
    return false;
  }

  NodePtr ParseOr(int depth);
  NodePtr ParseAnd(int depth);
  NodePtr ParseUnary(int depth);
  NodePtr ParsePredicate();
  NodePtr ParseIn();
  NodePtr ParseHas(const TermInfo& term);
  NodePtr ParseComparison(const TermInfo& term);
  bool ParseValue(const TermInfo& term, Predicate* p);
  bool ParseHasPair(const char* keyword, std::string* out);

  std::vector<Token> tokens_;
  size_t next_ = 0;
  Status error_;
  bool uses_name_or_full_text_ = false;
  bool uses_full_text_ = false;
};

// Appends rhs to lhs as an operand of `kind`, flattening nested same-kind
// nodes so that top-level conjuncts are direct children of the root.
NodePtr Combine(QueryNode::Kind kind, NodePtr lhs, NodePtr rhs) {
  if (lhs->kind != kind) {
    auto node = std::make_unique<QueryNode>(kind);
    node->children.push_back(std::move(lhs));
    lhs = std::move(node);
  }
  if (rhs->kind == kind) {
    for (NodePtr& c : rhs->children) lhs->children.push_back(std::move(c));
  } else {
    lhs->children.push_back(std::move(rhs));
  }
  return lhs;
}

NodePtr Parser::ParseOr(int depth) {
  NodePtr lhs = ParseAnd(depth);
  while (lhs && IsKeyword(Peek(), "or")) {
    Take();
    NodePtr rhs = ParseAnd(depth);
    if (!rhs) return nullptr;
    lhs = Combine(QueryNode::Kind::kOr, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

NodePtr Parser::ParseAnd(int depth) {
  NodePtr lhs = ParseUnary(depth);
  while (lhs && IsKeyword(Peek(), "and")) {
    Take();
    NodePtr rhs = ParseUnary(depth);
    if (!rhs) return nullptr;
    lhs = Combine(QueryNode::Kind::kAnd, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

NodePtr Parser::ParseUnary(int depth) {
  if (depth > kMaxDepth) return Fail("query nested too deeply");
  if (Accept(Tok::kWord, "not")) {
    NodePtr operand = ParseUnary(depth + 1);
    if (!operand) return nullptr;
    auto node = std::make_unique<QueryNode>(QueryNode::Kind::kNot);
    node->children.push_back(std::move(operand));
    return node;
  }
  if (IsToken(Peek(), Tok::kPunct, "(")) {
    const size_t open = Take().pos;
    NodePtr inner = ParseOr(depth + 1);
    if (inner && !Accept(Tok::kPunct, ")")) {
      return Fail("missing ')' for '(' at offset " + std::to_string(open) +
                  "; found " + Describe(Peek()));
    }
    return inner;
  }
  return ParsePredicate();
}

NodePtr Parser::ParsePredicate() {
  const Token& t = Peek();
  if (t.kind == Tok::kString) return ParseIn();
  if (t.kind != Tok::kWord || IsAnyKeyword(t)) {
    return Fail("expected a query term but found " + Describe(t));
  }
  const TermInfo* term = FindTerm(t.text);
  if (term == nullptr) return Fail("unknown query term '" + t.text + "'");
  if (term->ops == Bit(Op::kIn)) {
    return Fail("'" + t.text + "' must be used as 'value' in " + t.text);
  }
  Take();
  if (term->ops == Bit(Op::kHas)) return ParseHas(*term);
  return ParseComparison(*term);
}

// 'value' in parents|owners|writers|readers
NodePtr Parser::ParseIn() {
  auto node = std::make_unique<QueryNode>(QueryNode::Kind::kPredicate);
  node->pred.op = Op::kIn;
  node->pred.value = Take().text;
  if (!Expect(Tok::kWord, "in", "after a string")) return nullptr;
  const Token& coll = Peek();
  const TermInfo* term =
      coll.kind == Tok::kWord ? FindTerm(coll.text) : nullptr;
  if (term == nullptr || term->ops != Bit(Op::kIn)) {
    return Fail(
        "expected parents, owners, writers or readers after 'in' "
        "but found " +
        Describe(coll));
  }
  Take();
  node->pred.field = term->field;
  return node;
}

// properties|appProperties has { key='k' and value='v' }
NodePtr Parser::ParseHas(const TermInfo& term) {
  if (!Accept(Tok::kWord, "has")) {
    return Fail(std::string("'") + term.name + "' supports only 'has'");
  }
  auto node = std::make_unique<QueryNode>(QueryNode::Kind::kPredicate);
  Predicate& p = node->pred;
  p.field = term.field;
  p.op = Op::kHas;
  if (!Expect(Tok::kPunct, "{", "after 'has'") ||
      !ParseHasPair("key", &p.key) ||
      !Expect(Tok::kWord, "and", "between key and value") ||
      !ParseHasPair("value", &p.value) ||
      !Expect(Tok::kPunct, "}", "after the value")) {
    return nullptr;
  }
  return node;
}

// key='k' (or value='v') inside `has { }`.
bool Parser::ParseHasPair(const char* keyword, std::string* out) {
  if (!Expect(Tok::kWord, keyword, "inside 'has { }'") ||
      !Expect(Tok::kOp, "=", std::string("after '") + keyword + "'")) {
    return false;
  }
  if (Peek().kind != Tok::kString) {
    Fail(std::string("expected a quoted string after '") + keyword +
         " =' but found " + Describe(Peek()));
    return false;
  }
  *out = Take().text;
  return true;
}

NodePtr Parser::ParseComparison(const TermInfo& term) {
  const Token& op_tok = Peek();
  const std::optional<Op> op = ComparisonOp(op_tok);
  if (!op) {
    return Fail(std::string("expected an operator after '") + term.name +
                "' but found " + Describe(op_tok));
  }
  if ((term.ops & Bit(*op)) == 0) {
    return Fail("operator '" + op_tok.text + "' is not allowed with '" +
                term.name + "'");
  }
  Take();
  auto node = std::make_unique<QueryNode>(QueryNode::Kind::kPredicate);
  node->pred.field = term.field;
  node->pred.op = *op;
  if (!ParseValue(term, &node->pred)) return nullptr;
  if (term.field == Field::kName || term.field == Field::kFullText) {
    uses_name_or_full_text_ = true;
  }
  if (term.field == Field::kFullText) uses_full_text_ = true;
  return node;
}

bool Parser::ParseValue(const TermInfo& term, Predicate* p) {
  const Token& v = Peek();
  const std::string name = term.name;
  if (term.value == ValueKind::kBool) {
    if (!IsKeyword(v, "true") && !IsKeyword(v, "false")) {
      Fail("'" + name + "' must be compared with true or false, not " +
           Describe(v));
      return false;
    }
    p->flag = IsKeyword(Take(), "true");
    return true;
  }
  if (v.kind != Tok::kString) {
    Fail("'" + name + "' must be compared with a quoted string, not " +
         Describe(v));
    return false;
  }
  p->value = v.text;
  if (term.value == ValueKind::kTime) {
    const std::optional<int64_t> ms = ParseRfc3339Ms(v.text);
    if (!ms) {
      Fail("invalid RFC 3339 date-time '" + v.text + "' for '" + name + "'");
      return false;
    }
    p->time_ms = *ms;
  } else if (term.value == ValueKind::kVisibility) {
    bool known = false;
    for (const char* vis : kVisibilities) known = known || v.text == vis;
    if (!known) {
      Fail("unknown visibility '" + v.text + "'");
      return false;
    }
  } else if (p->field == Field::kFullText) {
    p->phrases = SplitFullText(v.text);
  } else if (p->op == Op::kContains) {
    p->folded = FoldUtf8(v.text);
  }
  Take();
  return true;
}

// ---------------------------------------------------------------------------
// Evaluation.

bool CompareTime(Op op, int64_t a, int64_t b) {
  if (op == Op::kLt) return a < b;
  if (op == Op::kLe) return a <= b;
  if (op == Op::kGt) return a > b;
  if (op == Op::kGe) return a >= b;
  return (op == Op::kEq) == (a == b);  // kEq or kNe
}

bool EqOrNe(Op op, bool equal) { return op == Op::kEq ? equal : !equal; }

bool IndexLagHides(const FileRecord& f, const QueryContext& ctx) {
  return ctx.index_lag_ms > 0 &&
         f.name_changed_ms > ctx.now_ms - ctx.index_lag_ms;
}

bool MatchesFullText(const Predicate& p, const FileRecord& f) {
  if (p.phrases.empty()) return false;
  for (const std::vector<std::u32string>& phrase : p.phrases) {
    const bool found =
        ContainsPhrase(f.name, phrase) ||
        ContainsPhrase(f.description, phrase) ||
        (f.native_text != nullptr && ContainsPhrase(*f.native_text, phrase));
    if (!found) return false;
  }
  return true;
}

bool IsMe(const std::string& who, const QueryContext& ctx) {
  return who == "me" ||
         (!ctx.me_email.empty() && EqualsIgnoreAsciiCase(who, ctx.me_email));
}

// True if `who` is the other user who owns f.
bool IsOwner(const std::string& who, const FileRecord& f) {
  return f.owned_by_other() && EqualsIgnoreAsciiCase(who, f.owner_email);
}

bool HasProperty(const std::map<std::string, std::string>& props,
                 const Predicate& p) {
  const auto it = props.find(p.key);
  return it != props.end() && it->second == p.value;
}

bool HasParent(const FileRecord& f, const Predicate& p,
               const QueryContext& ctx) {
  const std::string& id = p.value == "root" ? ctx.root_id : p.value;
  for (const std::string& parent : f.parents) {
    if (parent == id) return true;
  }
  return false;
}

bool MatchesText(const Predicate& p, const FileRecord& f,
                 const QueryContext& ctx) {
  using Mode = QueryContext::NameContains;
  switch (p.field) {
    case Field::kName:
      if (IndexLagHides(f, ctx)) return false;
      if (p.op == Op::kContains) {
        return ContainsFolded(f.name, p.folded, ctx.name_contains);
      }
      return EqOrNe(p.op, f.name == p.value);
    case Field::kFullText:
      return !IndexLagHides(f, ctx) && MatchesFullText(p, f);
    case Field::kMimeType:
      if (p.op == Op::kContains) {
        return ContainsFolded(f.mime_type, p.folded, Mode::kSubstring);
      }
      return EqOrNe(p.op, f.mime_type == p.value);
    case Field::kVisibility:
      return EqOrNe(p.op, p.value == "limited");
    case Field::kShortcutTarget:
      return EqOrNe(p.op, f.shortcut_target_id == p.value);
    default:
      return false;
  }
}

bool MatchesPredicate(const Predicate& p, const FileRecord& f,
                      const QueryContext& ctx) {
  switch (p.field) {
    case Field::kModifiedTime:
      return CompareTime(p.op, f.modified_ms, p.time_ms);
    case Field::kCreatedTime:
      return CompareTime(p.op, f.created_ms, p.time_ms);
    case Field::kViewedByMeTime:
      return f.viewed_by_me_ms != 0 &&
             CompareTime(p.op, f.viewed_by_me_ms, p.time_ms);
    case Field::kTrashed:
      return EqOrNe(p.op, f.trashed == p.flag);
    case Field::kStarred:
      return EqOrNe(p.op, f.starred == p.flag);
    case Field::kSharedWithMe:
      return EqOrNe(p.op, f.shared_with_me == p.flag);
    case Field::kProperties:
      return HasProperty(f.properties, p);
    case Field::kAppProperties:
      return HasProperty(f.app_properties, p);
    case Field::kParents:
      return HasParent(f, p, ctx);
    case Field::kOwners:
      return f.drive_id.empty() &&
             (f.owned_by_other() ? IsOwner(p.value, f) : IsMe(p.value, ctx));
    case Field::kWriters:
      return (IsMe(p.value, ctx) && !f.read_only) || IsOwner(p.value, f);
    case Field::kReaders:
      return IsMe(p.value, ctx) || IsOwner(p.value, f);
    default:
      return MatchesText(p, f, ctx);
  }
}

bool Evaluate(const QueryNode& n, const FileRecord& f,
              const QueryContext& ctx) {
  switch (n.kind) {
    case QueryNode::Kind::kAnd:
      for (const NodePtr& c : n.children) {
        if (!Evaluate(*c, f, ctx)) return false;
      }
      return true;
    case QueryNode::Kind::kOr:
      for (const NodePtr& c : n.children) {
        if (Evaluate(*c, f, ctx)) return true;
      }
      return false;
    case QueryNode::Kind::kNot:
      return !Evaluate(*n.children[0], f, ctx);
    case QueryNode::Kind::kPredicate:
      return MatchesPredicate(n.pred, f, ctx);
  }
  return false;
}

bool IsParentPredicate(const QueryNode& n) {
  return n.kind == QueryNode::Kind::kPredicate &&
         n.pred.field == Field::kParents;
}

}  // namespace

// ---------------------------------------------------------------------------
// Query.

Result<Query> Query::Parse(std::string_view q) {
  std::vector<Token> tokens;
  if (Status s = Lex(q, &tokens); !s.ok()) return s;
  if (tokens.size() == 1) return LexError("empty query", 0);
  Parser parser(std::move(tokens));
  NodePtr root = parser.ParseQuery();
  if (!root) return parser.error();
  return Query(std::move(root), parser.uses_name_or_full_text(),
               parser.uses_full_text());
}

Query::Query(std::unique_ptr<const internal::QueryNode> root,
             bool uses_name_or_full_text, bool uses_full_text)
    : root_(std::move(root)),
      uses_name_or_full_text_(uses_name_or_full_text),
      uses_full_text_(uses_full_text) {}

Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
Query::~Query() = default;

bool Query::Matches(const FileRecord& f, const QueryContext& ctx) const {
  return root_ != nullptr && Evaluate(*root_, f, ctx);
}

std::optional<std::string> Query::RequiredParent() const {
  if (root_ == nullptr) return std::nullopt;
  if (IsParentPredicate(*root_)) return root_->pred.value;
  if (root_->kind != QueryNode::Kind::kAnd) return std::nullopt;
  for (const NodePtr& c : root_->children) {
    if (IsParentPredicate(*c)) return c->pred.value;
  }
  return std::nullopt;
}

}  // namespace gdmount::emulator
