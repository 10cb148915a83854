// ListingWriter against a real in-memory MetadataStore: what ends up stored
// after pages, restarts and store errors.
#include "vfs/listing_writer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/meta/test_files.h"

namespace gdmount::vfs {
namespace {

using meta::testing::File;
using meta::testing::OpenStore;

std::vector<drive::DriveFile> Page(const std::string& parent, int first,
                                   int count) {
  std::vector<drive::DriveFile> files;
  for (int i = first; i < first + count; ++i) {
    std::string id = "f" + std::to_string(i);
    files.push_back(File(id, parent, id));
  }
  return files;
}

std::vector<std::string> ChildIds(meta::MetadataStore* store,
                                  const std::string& parent) {
  auto children = store->Children(parent);
  REQUIRE(children.ok());
  std::vector<std::string> ids;
  for (const auto& e : *children) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> Ids(int first, int count) {
  std::vector<std::string> ids;
  for (const auto& f : Page("", first, count)) ids.push_back(f.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_CASE("ListingWriter stores every page in batches and marks the listing",
          "[unit][vfs]") {
  for (size_t batch : {size_t{1}, size_t{7}, size_t{10}, size_t{1000}}) {
    INFO("batch " << batch);
    auto s = OpenStore();
    ListingWriter w(s.get(), "p", batch);
    for (int page = 0; page < 5; ++page)
      REQUIRE(w.Add(Page("p", page * 10, 10), page == 0).ok());
    REQUIRE(w.Finish(1234).ok());
    CHECK(w.listed() == 50);
    CHECK(ChildIds(s.get(), "p") == Ids(0, 50));
    auto state = s->Listing("p");
    REQUIRE(state.ok());
    CHECK(state->complete);
    CHECK(state->fetched_ms == 1234);
  }
}

TEST_CASE("ListingWriter: a restarted listing counts only the new pass",
          "[unit][vfs]") {
  auto store = OpenStore();
  REQUIRE(store->ReplaceChildren("p", Page("p", 0, 3), 1).ok());
  ListingWriter w(store.get(), "p", 2);
  REQUIRE(w.Add(Page("p", 0, 3), true).ok());
  REQUIRE(w.Add(Page("p", 3, 3), false).ok());
  // Starts over: f0..f2 are gone from Drive now.
  REQUIRE(w.Add(Page("p", 3, 3), true).ok());
  REQUIRE(w.Add(Page("p", 6, 1), false).ok());
  REQUIRE(w.Finish(2).ok());
  CHECK(w.listed() == 4);
  CHECK(ChildIds(store.get(), "p") == Ids(3, 4));
}

// Every stored field of an entry, for comparing a view built from the
// listing with one read back from the store.
std::string Describe(const meta::Entry& e) {
  std::ostringstream o;
  o << e.ino << '|' << e.id << '|' << e.parent_id << '|' << e.name << '|'
    << e.mime_type << '|' << (e.size ? *e.size : -1) << '|' << e.md5 << '|'
    << e.version << '|' << e.head_revision_id << '|' << e.created_ms << '|'
    << e.modified_ms << '|' << e.trashed << e.explicitly_trashed << '|'
    << e.shortcut_target_id << '|' << e.shortcut_target_mime << '|'
    << e.drive_id << '|' << e.web_view_link << '|' << e.can_edit
    << e.can_download;
  return o.str();
}

std::vector<std::string> Described(std::vector<meta::Entry> entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(Describe(e));
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("ListingWriter's entries are exactly what the store reads back",
          "[unit][vfs]") {
  auto store = OpenStore();
  // Known before: keeps its inode number.
  REQUIRE(store->ReplaceChildren("p", Page("p", 0, 2), 1).ok());
  auto page = Page("p", 0, 5);
  page[1].name = "renamed";
  page[2].version = 9;
  page[2].md5 = "0123456789abcdef0123456789abcdef";
  page[3].capabilities = drive::Capabilities();
  page[3].capabilities->can_edit = true;
  page[4].parents = {"elsewhere", "p"};  // filed under the listed folder
  ListingWriter w(store.get(), "p", 2);
  REQUIRE(w.Add(Page("p", 7, 3), true).ok());  // abandoned pass
  REQUIRE(w.Add(page, true).ok());
  REQUIRE(w.Add(Page("p", 5, 2), false).ok());
  REQUIRE(w.Finish(3).ok());
  auto taken = w.TakeEntries();
  CHECK(taken.size() == 7);
  auto children = store->Children("p");
  REQUIRE(children.ok());
  CHECK(Described(taken) == Described(*children));
}

TEST_CASE("ListingWriter: a store error ends the listing incomplete",
          "[unit][vfs]") {
  auto store = OpenStore();
  ListingWriter w(store.get(), "p", 2);
  auto bad = Page("p", 0, 2);
  bad[1].id.clear();  // the store refuses the whole batch
  Status s = w.Add(bad, true);
  for (int page = 1; s.ok() && page < 50; ++page)
    s = w.Add(Page("p", page * 2, 2), false);
  if (s.ok()) s = w.Finish(5);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  auto state = store->Listing("p");
  REQUIRE(state.ok());
  CHECK_FALSE(state->complete);
}

TEST_CASE("ListingWriter destroyed mid-listing stops without completing it",
          "[unit][vfs]") {
  auto store = OpenStore();
  {
    ListingWriter w(store.get(), "p", 3);
    for (int page = 0; page < 10; ++page)
      REQUIRE(w.Add(Page("p", page * 3, 3), page == 0).ok());
  }
  auto state = store->Listing("p");
  REQUIRE(state.ok());
  CHECK_FALSE(state->complete);
}

}  // namespace
}  // namespace gdmount::vfs
