#include "drive/query.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace gdmount::drive {
namespace {

// Splits a q string into tokens the way the grammar of protocol guide
// section 3.1 reads it: a quoted literal is one token holding its decoded
// value (a backslash makes the next character literal), prefixed with '$' so
// it cannot be confused with a keyword; other tokens are separated by
// spaces. An unterminated literal yields a "<unterminated>" token.
std::vector<std::string> Tokens(const std::string& q) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < q.size()) {
    if (q[i] == ' ') {
      ++i;
    } else if (q[i] == '\'') {
      std::string value = "$";
      for (++i; i < q.size() && q[i] != '\''; ++i) {
        if (q[i] == '\\') ++i;
        if (i < q.size()) value += q[i];
      }
      if (i >= q.size()) return {"<unterminated>"};
      out.push_back(value);
      ++i;
    } else {
      const size_t end = q.find_first_of(" '", i);
      out.push_back(q.substr(i, end - i));
      i = end == std::string::npos ? q.size() : end;
    }
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST_CASE("QuoteString escapes backslashes and quotes", "[unit]") {
  CHECK(QuoteString("") == "''");
  CHECK(QuoteString("plain name.txt") == "'plain name.txt'");
  CHECK(QuoteString("it's") == R"('it\'s')");
  CHECK(QuoteString(R"(a\b)") == R"('a\\b')");
  // The guide's example: quinn's paper\essay.
  CHECK(QuoteString(R"(quinn's paper\essay)") == R"('quinn\'s paper\\essay')");
  // Backslash before a quote: each is escaped once, in order.
  CHECK(QuoteString(R"(\')") == R"('\\\'')");
  CHECK(QuoteString("'") == R"('\'')");
  CHECK(QuoteString("''") == R"('\'\'')");
  CHECK(QuoteString(R"(\\)") == R"('\\\\')");
  CHECK(QuoteString("'edge'") == R"('\'edge\'')");
  // Everything else passes through.
  CHECK(QuoteString("\"quoted\" (x) and or not") ==
        "'\"quoted\" (x) and or not'");
  CHECK(QuoteString("日本語 ünïcødé 🙂") ==
        "'日本語 ünïcødé 🙂'");
}

TEST_CASE("QuoteString round-trips through the q grammar", "[unit]") {
  for (const std::string& v :
       {std::string("simple"), std::string("it's"), std::string(R"(a\b)"),
        std::string(R"(\')"), std::string(R"(trailing\)"),
        std::string("'both ends'"), std::string(R"(\\'\'\\)"),
        std::string("name = 'x' or 'y' in parents"), std::string("日本'語\\"),
        std::string("")}) {
    INFO(v);
    CHECK(Tokens(QuoteString(v)) == Strings{"$" + v});
  }
}

TEST_CASE("ChildrenQuery", "[unit]") {
  CHECK(ChildrenQuery("0AbC_-1") == "'0AbC_-1' in parents and trashed = false");
  CHECK(ChildrenQuery("root", TrashFilter::kAny) == "'root' in parents");
  CHECK(ChildrenQuery("f1", TrashFilter::kTrashed) ==
        "'f1' in parents and trashed = true");
  CHECK(TrashedQuery() == "trashed = true");
  CHECK(SharedWithMeQuery() == "sharedWithMe = true and trashed = false");
  CHECK(Tokens(ChildrenQuery("x'y")) ==
        Strings{"$x'y", "in", "parents", "and", "trashed", "=", "false"});
}

TEST_CASE("NameInFolderQuery", "[unit]") {
  CHECK(NameInFolderQuery("p1", "a.txt") ==
        "name = 'a.txt' and 'p1' in parents and trashed = false");
  CHECK(NameInFolderQuery("p1", R"(it's a\b)") ==
        R"(name = 'it\'s a\\b' and 'p1' in parents and trashed = false)");
  // A name that looks like query syntax stays one literal.
  for (const std::string& name :
       {std::string("x' or name contains '"), std::string(R"(x\' or '1)"),
        std::string("'"), std::string("\\"), std::string("'start"),
        std::string("end'"), std::string("Ünïcode ☃ 'q'")}) {
    INFO(name);
    CHECK(Tokens(NameInFolderQuery("p1", name)) ==
          Strings{"name", "=", "$" + name, "and", "$p1", "in", "parents", "and",
                  "trashed", "=", "false"});
  }
}

}  // namespace
}  // namespace gdmount::drive
