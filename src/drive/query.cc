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

std::string ChildrenQuery(const std::string& parent_id, TrashFilter trashed) {
  std::string q = QuoteString(parent_id) + " in parents";
  if (trashed == TrashFilter::kUntrashed) q += " and trashed = false";
  if (trashed == TrashFilter::kTrashed) q += " and trashed = true";
  return q;
}

std::string TrashedQuery() { return "trashed = true"; }

std::string SharedWithMeQuery() {
  return "sharedWithMe = true and trashed = false";
}

std::string NameInFolderQuery(const std::string& parent_id,
                              std::string_view name) {
  return "name = " + QuoteString(name) + " and " + ChildrenQuery(parent_id);
}

}  // namespace gdmount::drive
