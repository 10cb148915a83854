// Builders of drive::DriveFile values for the metadata store's tests.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "gdmount/drive_types.h"
#include "meta/metadata_store.h"

namespace gdmount::meta::testing {

inline drive::DriveFile File(const std::string& id, const std::string& parent,
                             const std::string& name) {
  drive::DriveFile f;
  f.id = id;
  f.name = name;
  f.mime_type = "text/plain";
  if (!parent.empty()) f.parents = {parent};
  f.size = 3;
  return f;
}

inline drive::DriveFile Folder(const std::string& id, const std::string& parent,
                               const std::string& name) {
  drive::DriveFile f = File(id, parent, name);
  f.mime_type = drive::kFolderMime;
  f.size.reset();
  return f;
}

// Opens `path` (":memory:" by default), failing the test on error.
inline std::unique_ptr<MetadataStore> OpenStore(
    const std::string& path = ":memory:") {
  auto store = MetadataStore::Open(path);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

// The value of `result`, failing the test (with the Status) on error.
template <typename T>
T Must(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(*result);
}

inline void MustOk(const Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

}  // namespace gdmount::meta::testing
