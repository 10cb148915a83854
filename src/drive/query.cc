#include "drive/query.h"

namespace gdmount::drive {

std::string QuoteString(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    // One pass is equivalent to "backslashes first, then quotes": each input
    // character is escaped exactly once.
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string ChildrenQuery(const std::string& parent_id, bool include_trashed) {
  std::string q = QuoteString(parent_id) + " in parents";
  if (!include_trashed) q += " and trashed = false";
  return q;
}

std::string NameInFolderQuery(const std::string& parent_id,
                              std::string_view name) {
  return "name = " + QuoteString(name) + " and " + ChildrenQuery(parent_id);
}

}  // namespace gdmount::drive
