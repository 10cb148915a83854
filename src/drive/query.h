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

// Which children a folder query returns by their `trashed` flag.
enum class TrashFilter { kUntrashed, kTrashed, kAny };

// Children of a folder: "'<id>' in parents and trashed = false" (the
// default), "... and trashed = true" (inside a trashed folder every child is
// trashed), or just "'<id>' in parents".
std::string ChildrenQuery(const std::string& parent_id,
                          TrashFilter trashed = TrashFilter::kUntrashed);

// Every trashed item, explicitly or implicitly: "trashed = true". Drive's
// query language has no term for explicitlyTrashed; callers filter.
std::string TrashedQuery();

// Items shared with the user (not in My Drive), untrashed:
// "sharedWithMe = true and trashed = false".
std::string SharedWithMeQuery();

// Untrashed children of a folder named exactly `name`:
// "name = '<name>' and '<id>' in parents and trashed = false".
// Drive may answer with several files (names are not unique).
std::string NameInFolderQuery(const std::string& parent_id,
                              std::string_view name);

}  // namespace gdmount::drive
