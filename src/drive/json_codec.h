// JSON <-> drive_types: the only code that knows Drive's resource shapes.
//
// Decoding is strict where a wrong value would corrupt the filesystem view
// and lenient elsewhere:
//   * Every Parse* function takes a raw response body, never throws, and
//     returns Corruption (message names the field, e.g.
//     "files[3].size: not an int64") for: unparsable JSON, a body that is not
//     an object, a required field missing, any field of the wrong JSON type,
//     a bad int64 or timestamp, or a broken invariant listed below.
//   * Unknown fields are ignored. An optional field that is absent or JSON
//     null keeps its drive_types default.
//   * int64 fields (size, version, quota, maxUploadSize) are accepted as JSON
//     strings of decimal digits (Drive's wire form, "123") or as JSON
//     integers; negative, fractional, out-of-range or non-numeric values are
//     Corruption.
//   * Timestamps are RFC 3339 (see ParseRfc3339).
//
// Thread safety: all functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gdmount/drive_types.h"
#include "gdmount/result.h"

namespace gdmount::drive {

// The fields gdmount asks for on every file (files.get/create/update/list,
// changes). Everything FileFromJson reads, nothing more.
inline constexpr const char* kFileFields =
    "id,name,mimeType,parents,size,md5Checksum,version,headRevisionId,"
    "createdTime,modifiedTime,trashed,explicitlyTrashed,"
    "shortcutDetails(targetId,targetMimeType),driveId,webViewLink,ownedByMe,"
    "capabilities(canEdit,canDownload,canTrash,canDelete,canRename,"
    "canAddChildren),appProperties";

// `fields=` for files.list: "nextPageToken,incompleteSearch,files(...)".
std::string ListFields();
// `fields=` for changes.list: both page tokens and
// "changes(changeType,fileId,removed,time,driveId,file(...))".
std::string ChangeFields();
// `fields=` for drives.list: "nextPageToken,drives(id,name,hidden)".
std::string DriveListFields();
// `fields=` for about.get (which has no default and requires one).
std::string AboutFields();

// A File resource. Required: `id` (non-empty string), `name` (string, may be
// empty: callers sanitise names anyway), `mimeType` (non-empty string), and
// `size` for files with content (not folders, shortcuts or Google-native).
// `md5Checksum`, when present, must be 32 hex digits; it is lower-cased.
// `appProperties` values must be strings. `capabilities` members absent from
// the object keep the Capabilities defaults.
// Returns Corruption as described at the top of this file.
Result<DriveFile> ParseFile(std::string_view body);
// Same, from an already parsed value (used for list and change entries).
Result<DriveFile> FileFromJson(const nlohmann::json& value);

// A FileList. `files` absent means no files; an empty nextPageToken is the
// same as an absent one.
Result<FileListPage> ParseFileList(std::string_view body);

// A DriveList: `drives` (absent: none), each with a non-empty `id` and a
// `name`; `hidden` defaults to false.
struct DriveListPage {
  std::vector<SharedDrive> drives;
  std::string next_page_token;
};
Result<DriveListPage> ParseDriveList(std::string_view body);

// A ChangeList. Exactly one of nextPageToken / newStartPageToken must be
// non-empty (Corruption "changes page without a token" when neither,
// Corruption when both). For each change:
//   * `removed` true: `file` is ignored (Change::file stays empty).
//   * changeType "file" (the default when absent) and not removed: `file`
//     is required (Corruption otherwise: a change we cannot apply must not
//     be skipped silently, or the page token would move past it); `fileId`
//     defaults to file.id and must equal it when both are present.
//   * changeType "drive": no file expected.
Result<ChangePage> ParseChangeList(std::string_view body);

// An About resource. Every member is optional; storageQuota.limit absent
// means unlimited (About::quota_limit empty). exportFormats must map strings
// to arrays of strings.
Result<About> ParseAbout(std::string_view body);

// {"startPageToken": "..."}; the token is required and non-empty.
Result<std::string> ParseStartPageToken(std::string_view body);

// files.generateIds: {"ids": ["...", ...]}; `ids` is required and every id a
// non-empty string.
Result<std::vector<std::string>> ParseGeneratedIds(std::string_view body);

// Request body for files.create / files.update / files.copy: only the set
// members of `metadata`, as name, mimeType, parents:[parent_id],
// modifiedTime (FormatRfc3339), trashed, description,
// shortcutDetails:{targetId}, appProperties (nullopt values -> JSON null,
// which deletes the key), id. Empty metadata -> "{}".
// REQUIRES: strings are valid UTF-8 (Drive rejects anything else); invalid
// sequences are replaced by U+FFFD rather than failing.
std::string MetadataToJson(const FileMetadata& metadata);

// ms since the Unix epoch -> "2024-05-01T12:34:56.789Z" (always UTC, always
// three fraction digits). Values outside years 0000..9999 are clamped.
std::string FormatRfc3339(int64_t ms_since_epoch);

// RFC 3339 date-time -> ms since the Unix epoch. Requires the full form
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) ('t', 'z' accepted in
// lower case). Any number of fraction digits; truncated (floored) to ms.
// Calendar-checked (Feb 29 only in leap years); second 60 (leap second) is
// accepted and rolls into the next minute. InvalidArgument otherwise.
Result<int64_t> ParseRfc3339(std::string_view text);

}  // namespace gdmount::drive
