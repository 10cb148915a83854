// Filling an empty emulator: from a folder tree (--seed DIR) or from a
// synthetic spec (--generate SPEC). See docs/emulator.md for conventions.
//
// --seed DIR: every file and folder under DIR becomes a Drive item with the
// same bytes, name and mtime, with these conventions:
//   NAME.gdoc / .gsheet / .gslides / .gdraw  Google-native document NAME
//                                            (file text = document text)
//   NAME.gshortcut, or a symlink             shortcut to the path it names
//                                            (relative to DIR)
//   .drives/NAME/...                         shared drive NAME
//   .shared/ENTRY...                         ENTRY (and its content) owned by
//                                            colleague@example.com, shared
//                                            with the user, read-only
//   .emulator.json                           sidecar: {"names": {path: name},
//       "trashed": [path], "readonly": [path], "mime_types": {path: mime},
//       "modified": {path: rfc3339}} — names may contain '/' and repeat in a
//       folder, which a local tree cannot express.
// --generate SPEC: comma-separated items, PATH=SIZE (one file) or
// DIR/=COUNTxSIZE (COUNT files named 000001.bin... in DIR); sizes take
// K/M/G (KiB, MiB, GiB) suffixes. Content is synthetic (no disk, no RAM).
#pragma once

#include <string>

#include "gdmount/result.h"
#include "tests/emulator/journal.h"
#include "tests/emulator/store.h"

namespace gdmount::emulator {

Status SeedFromDirectory(const std::string& dir, Store* store,
                         Journal* journal);
Status GenerateFromSpec(const std::string& spec, Store* store);
// "64K" -> 65536; "1G" -> 1 GiB; plain digits are bytes.
Result<int64_t> ParseSize(const std::string& text);

}  // namespace gdmount::emulator
