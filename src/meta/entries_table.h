// Reads and writes of the `entries` and `inodes` tables: the mapping between
// rows and Entry / drive::DriveFile. Internal to src/meta; MetadataStore
// adds locking and transactions on top.
//
// Thread safety: as Db (the caller serializes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gdmount/drive_types.h"
#include "gdmount/result.h"
#include "meta/entry.h"
#include "meta/sqlite_db.h"

namespace gdmount::meta {

// Inserts or replaces the entry for `file` (filed under `parent_id`),
// allocating an inode number for a new id.
// REQUIRES: file.id is not empty.
// Returns the entry as stored.
Result<Entry> WriteEntry(Db* db, const drive::DriveFile& file,
                         const std::string& parent_id);

// `id`'s inode number, giving it the next one unless it has one.
Result<uint64_t> AllocateInode(Db* db, const std::string& id);

// Deletes the entry for `id` (its inode number stays allocated).
Status DeleteEntry(Db* db, const std::string& id);

// nullopt if there is no entry.
Result<std::optional<Entry>> ReadEntryById(Db* db, const std::string& id);
Result<std::optional<Entry>> ReadEntryByIno(Db* db, uint64_t ino);

// Non-trashed entries under `parent_id`, ordered by name, then id.
Result<std::vector<Entry>> ReadChildren(Db* db, const std::string& parent_id);
// Ids of the non-trashed entries under `parent_id` (any order).
Result<std::vector<std::string>> ReadChildIds(Db* db,
                                              const std::string& parent_id);
// Trashed entries, ordered by name, then id.
Result<std::vector<Entry>> ReadTrashed(Db* db);

}  // namespace gdmount::meta
