// The Drive v3 `q` search language: parser and evaluator for the emulator.
//
// Query::Parse turns a q string into an immutable syntax tree; Matches()
// evaluates it against one FileRecord. Everything that can be done once is
// done at parse time (case-folding constants, parsing dates, splitting
// fullText phrases), so Matches() allocates nothing and can run over 100,000
// records per list page.
//
// Grammar (protocol guide §3.1): `not` binds tighter than `and`, which binds
// tighter than `or`; parentheses group. Keywords (and or not in has contains
// true false, and key/value inside `has { }`) are accepted in any case; term
// names are case-sensitive as in Drive (`mimeType`, not `mimetype`). Strings
// are single-quoted; inside, a backslash makes the next character literal
// (`\'` -> `'`, `\\` -> `\`).
//
// Semantics (terms and operators as in the guide's table):
//   name contains   case-insensitive; where the value may start is set by
//                   QueryContext::name_contains. name =/!= are exact.
//   fullText        case-insensitive whole-word match in name, description
//                   or native_text. Each bare word of the value must occur
//                   (in any order); a "double-quoted phrase" must occur as
//                   consecutive words in one field. No words: no match.
//   mimeType        contains = case-insensitive substring; =/!= exact.
//   *Time           RFC 3339 constant (zone optional, default UTC; fraction
//                   optional, truncated to ms). viewedByMeTime of a never
//                   viewed item (0) makes every comparison false.
//   sharedWithMe    FileRecord::shared_with_me (items another user shared
//                   with the user, not their descendants).
//   'X' in parents  'root' means QueryContext::root_id.
//   owners/writers/readers  value 'me' or the user's email, or the email of
//                   the other user who owns the item (ASCII
//                   case-insensitive); any other value matches nothing.
//                   The user: owners: its items outside shared drives;
//                   writers: every item not read_only; readers: every item.
//                   The other owner: owners, writers and readers of its
//                   items.
//   visibility      every item is 'limited'; unknown values are an error.
// Index lag: while a name change is younger than QueryContext::index_lag_ms,
// name and fullText predicates are false for that file (Drive's search index
// is eventually consistent, guide §11 item 7).
//
// Case-insensitivity folds ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic letters; other code points compare exactly. Word characters are
// ASCII letters and digits plus every non-ASCII code point except Latin-1
// symbols, General Punctuation and CJK punctuation.
//
// Thread safety: a parsed Query is immutable; Matches() may be called from
// several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gdmount/result.h"
#include "tests/emulator/model.h"

namespace gdmount::emulator {

// Per-request facts the evaluator needs beyond the record itself.
struct QueryContext {
  std::string root_id;   // real id behind the 'root' alias
  std::string me_email;  // the user's email; 'me' also means this user
  int64_t now_ms = 0;    // for the index-lag knob
  // name/fullText terms don't see names changed within this window
  // (FileRecord::name_changed_ms). 0 disables the lag.
  int64_t index_lag_ms = 0;
  // Where `name contains 'v'` may find v: at the start of the name or of any
  // word (after a non-alphanumeric character), only at the start, or anywhere.
  enum class NameContains { kWordPrefix, kPrefix, kSubstring };
  NameContains name_contains = NameContains::kWordPrefix;
};

namespace internal {
struct QueryNode;  // defined in query.cc
}  // namespace internal

class Query {
 public:
  // Parses q. Returns kInvalidArgument, with a message naming the problem and
  // its byte offset, for any syntax error (bad token, unterminated string,
  // unbalanced parentheses, trailing input), unknown term, operator not
  // allowed for the term, wrong kind of value, bad date, unknown visibility,
  // nesting deeper than 64, or an empty/blank q.
  static Result<Query> Parse(std::string_view q);

  Query(Query&&) noexcept;
  Query& operator=(Query&&) noexcept;
  ~Query();

  // True if f satisfies the query. Allocation-free.
  bool Matches(const FileRecord& f, const QueryContext& ctx) const;

  // If the query is a conjunction (or a single predicate) one of whose
  // top-level conjuncts is `'X' in parents`, returns X as written (may be
  // "root"): every match is then a child of X. Otherwise nullopt.
  std::optional<std::string> RequiredParent() const;

  // True if any name or fullText predicate occurs (they are subject to the
  // index lag).
  bool UsesNameOrFullText() const { return uses_name_or_full_text_; }
  // True if any fullText predicate occurs: Drive rejects fullText together
  // with orderBy (the caller returns 400).
  bool UsesFullText() const { return uses_full_text_; }

 private:
  Query(std::unique_ptr<const internal::QueryNode> root,
        bool uses_name_or_full_text, bool uses_full_text);

  std::unique_ptr<const internal::QueryNode> root_;
  bool uses_name_or_full_text_ = false;
  bool uses_full_text_ = false;
};

}  // namespace gdmount::emulator
