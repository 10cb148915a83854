// Large listings and concurrent use.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "meta/metadata_store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/meta/test_files.h"

namespace gdmount::meta {
namespace {

using gdmount::testing::TempDir;
using testing::File;
using testing::Folder;
using testing::Must;
using testing::MustOk;
using testing::OpenStore;

std::string Padded(int i) {
  std::string s = std::to_string(i);
  return std::string(6 - s.size(), '0') + s;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

TEST_CASE("A folder of 100000 entries is stored and listed", "[unit][meta]") {
  constexpr int kCount = 100'000;
  TempDir tmp;
  auto store = OpenStore(tmp.path() + "/big.db");
  std::vector<drive::DriveFile> files;
  files.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    drive::DriveFile f = File("id-" + Padded(i), "big", "file-" + Padded(i));
    f.md5 = "d41d8cd98f00b204e9800998ecf8427e";
    f.modified_ms = 1'700'000'000'000 + i;
    files.push_back(f);
  }
  auto start = std::chrono::steady_clock::now();
  MustOk(store->ReplaceChildren("big", files, 1));
  double replace_s = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  auto children = Must(store->Children("big"));
  double list_s = SecondsSince(start);
  REQUIRE(children.size() == static_cast<size_t>(kCount));
  CHECK(children.front().name == "file-000000");
  CHECK(children.back().name == "file-099999");
  CHECK(children[4242].id == "id-004242");

  // Relisting with every other entry gone removes the other half.
  std::vector<drive::DriveFile> half;
  for (int i = 0; i < kCount; i += 2) half.push_back(files[i]);
  start = std::chrono::steady_clock::now();
  MustOk(store->ReplaceChildren("big", half, 2));
  double relist_s = SecondsSince(start);
  CHECK(Must(store->Children("big")).size() == half.size());
  CHECK(Must(store->Get("id-000001")) == std::nullopt);
  WARN("100,000 entries: ReplaceChildren " << replace_s << " s, Children "
                                           << list_s << " s, relist to half "
                                           << relist_s << " s");
}

TEST_CASE("Concurrent calls from 8 threads", "[unit][meta]") {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  TempDir tmp;
  auto store = OpenStore(tmp.path() + "/m.db");
  MustOk(store->SetRoot(Folder("root", "", "My Drive")));

  std::vector<std::vector<uint64_t>> shared_inos(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto fail = [&](const Status& s) {
        if (!s.ok() && errors[t].empty()) errors[t] = s.ToString();
      };
      std::string dir = "dir" + std::to_string(t);
      std::vector<drive::DriveFile> mine;
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = dir + "-" + std::to_string(i);
        fail(store->Upsert({File(id, "root", id)}));
        mine.push_back(File(id, dir, id));
        // Every thread asks for the same shared ids, racing to allocate.
        auto ino = store->InodeFor("shared-" + std::to_string(i % 20));
        fail(ino.status());
        if (ino.ok()) shared_inos[t].push_back(*ino);
        fail(store->Children("root").status());
        fail(store->Get(id).status());
      }
      fail(store->ReplaceChildren(dir, mine, t));
      fail(store->InvalidateListing(dir));
      fail(store->SetChangeToken(std::to_string(t)));
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string& e : errors) CHECK(e == "");

  // Every thread saw the same number for each shared id.
  for (int t = 1; t < kThreads; ++t) CHECK(shared_inos[t] == shared_inos[0]);
  std::set<uint64_t> inos;
  for (int t = 0; t < kThreads; ++t) {
    auto children = Must(store->Children("dir" + std::to_string(t)));
    CHECK(children.size() == static_cast<size_t>(kPerThread));
    for (const Entry& e : children) inos.insert(e.ino);
  }
  CHECK(inos.size() == static_cast<size_t>(kThreads * kPerThread));
  CHECK(inos.count(kRootIno) == 0);
  CHECK(Must(store->ChangeToken()).has_value());
}

}  // namespace
}  // namespace gdmount::meta
