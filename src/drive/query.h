// Builders for files.list `q` strings (protocol guide section 3.1).
//
// Every value that came from a user (file names) or from Drive (ids) is
// embedded with QuoteString, so a name such as `it's a\b` cannot end the
// literal early or change the query. The result is a plain q string; the
// HTTP layer URL-encodes it as a query parameter.
//
// Thread safety: all functions are thread-safe (pure).
#pragma once

#include <string>
#include <string_view>

namespace gdmount::drive {

// `value` as a q string literal: wrapped in single quotes, with every `\`
// written as `\\` and every `'` as `\'` (backslashes first, so an escape is
// never escaped twice). Every other byte, including UTF-8 sequences, spaces,
// and double quotes, is copied as is.
//   QuoteString("it's")  == R"('it\'s')"
//   QuoteString(R"(a\b)") == R"('a\\b')"
std::string QuoteString(std::string_view value);

// Children of a folder: "'<id>' in parents and trashed = false", or just
// "'<id>' in parents" with `include_trashed`.
std::string ChildrenQuery(const std::string& parent_id,
                          bool include_trashed = false);

// Untrashed children of a folder named exactly `name`:
// "name = '<name>' and '<id>' in parents and trashed = false".
// Drive may answer with several files (names are not unique).
std::string NameInFolderQuery(const std::string& parent_id,
                              std::string_view name);

}  // namespace gdmount::drive
