// Which folder a mount shows as its root: My Drive's, a shared drive's
// (--shared-drive ID), or one folder of either (--root-folder ID-OR-PATH).
//
// A root folder given without '/' is tried as a Drive id first and, if no
// such item exists, as a name at the drive's root. A path is walked one
// name at a time from the drive's root, with Drive's names (not the display
// names of docs/SEMANTICS.md, which could change as siblings come and go);
// shortcuts to folders are followed. A name several folders share is an
// error that lists their ids, so the user can pass one instead.
//
// Thread safety: stateless functions; the client is thread-safe.
#pragma once

#include <string>

#include "gdmount/drive_client.h"

namespace gdmount::vfs {

struct RootSpec {
  std::string shared_drive;  // "" = My Drive
  std::string root_folder;   // "" = the drive's root
  bool is_default() const {
    return shared_drive.empty() && root_folder.empty();
  }
};

// The root folder's file. Errors: NotFound (naming what is missing: the
// shared drive, or the first path component not found), InvalidArgument
// (not a folder; an ambiguous name, with the candidates' ids), or the
// Drive call's error.
Result<drive::DriveFile> ResolveRoot(drive::DriveClient* client,
                                     const RootSpec& spec);

}  // namespace gdmount::vfs
