// ViewCache: least recently used views out first once the entries they
// hold together pass the cap; the view just kept stays, however large.
#include "vfs/view_cache.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace gdmount::vfs {
namespace {

struct FakeView {
  std::vector<int> children;
};
using Cache = ViewCache<FakeView>;

Cache::Ptr ViewOf(size_t n) {
  auto v = std::make_shared<FakeView>();
  v->children.resize(n);
  return v;
}

TEST_CASE("ViewCache evicts least recently used views past the entry cap",
          "[unit][vfs]") {
  Cache cache(100);
  cache.Put("a", ViewOf(40));
  cache.Put("b", ViewOf(40));
  CHECK(cache.entries() == 82);
  REQUIRE(cache.Get("a"));  // a is now the most recently used
  cache.Put("c", ViewOf(40));
  CHECK_FALSE(cache.Peek("b"));  // b went, not a
  CHECK(cache.Peek("a"));
  CHECK(cache.Peek("c"));
  CHECK(cache.entries() == 82);
  CHECK(cache.size() == 2);
  CHECK(cache.evictions() == 1);
}

TEST_CASE("ViewCache Peek and Replace do not count as uses", "[unit][vfs]") {
  Cache cache(100);
  cache.Put("a", ViewOf(30));
  cache.Put("b", ViewOf(30));
  REQUIRE(cache.Peek("a"));
  cache.Replace("a", ViewOf(35));  // a change applied, not a use
  CHECK(cache.entries() == 67);
  cache.Put("c", ViewOf(40));
  CHECK_FALSE(cache.Peek("a"));
  CHECK(cache.entries() == 72);
  cache.Replace("gone", ViewOf(5));  // not kept: nothing happens
  CHECK_FALSE(cache.Peek("gone"));
  CHECK(cache.entries() == 72);
}

TEST_CASE("ViewCache keeps one view larger than the cap alone", "[unit][vfs]") {
  Cache cache(100);
  cache.Put("small", ViewOf(10));
  cache.Put("huge", ViewOf(500));
  CHECK(cache.Peek("huge"));
  CHECK_FALSE(cache.Peek("small"));
  CHECK(cache.entries() == 501);
  // A view that grows past the cap by a change goes if it is the oldest.
  cache.Put("x", ViewOf(10));
  CHECK_FALSE(cache.Peek("huge"));
  cache.Put("y", ViewOf(10));
  cache.Replace("x", ViewOf(95));  // x is the least recently used
  CHECK(cache.entries() == 11);
  CHECK_FALSE(cache.Peek("x"));
  CHECK(cache.Peek("y"));
}

TEST_CASE("ViewCache counts each view as one entry more than its children",
          "[unit][vfs]") {
  // Views of empty folders (made and removed by the thousand) are bounded
  // too.
  Cache cache(100);
  for (int i = 0; i < 1000; ++i)
    cache.Put("empty" + std::to_string(i), ViewOf(0));
  CHECK(cache.size() == 100);
  CHECK(cache.entries() == 100);
  CHECK(cache.Peek("empty999"));
  CHECK_FALSE(cache.Peek("empty899"));
}

TEST_CASE("ViewCache Erase and Clear keep the count right", "[unit][vfs]") {
  Cache cache(100);
  cache.Put("a", ViewOf(10));
  cache.Put("b", ViewOf(20));
  cache.Put("a", ViewOf(15));  // replaced and used
  CHECK(cache.entries() == 37);
  CHECK(cache.size() == 2);
  cache.Erase("a");
  cache.Erase("a");
  CHECK(cache.entries() == 21);
  cache.Clear();
  CHECK(cache.entries() == 0);
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.Get("b"));
  CHECK(cache.evictions() == 0);
}

}  // namespace
}  // namespace gdmount::vfs
