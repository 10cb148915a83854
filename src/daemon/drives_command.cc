#include "daemon/drives_command.h"

#include <ostream>

#include "daemon/wiring.h"

namespace gdmount::daemon {

const char kDrivesHelp[] =
    "Usage: gdmount drives [--account NAME]\n"
    "\n"
    "Lists the shared drives the account is a member of, one per line:\n"
    "ID, a tab, the name (and \"(hidden)\" for drives hidden in Drive's UI).\n"
    "Mount one with: gdmount mount DIR --shared-drive ID\n";

int RunDrives(const config::Settings& s, const CommandLine& cl,
              std::ostream& out, std::ostream& err) {
  if (!cl.positional.empty()) {
    err << "gdmount drives: unexpected argument '" << cl.positional[0]
        << "'; see gdmount help drives\n";
    return 2;
  }
  auto fail = [&err](const Status& st) {
    err << "gdmount drives: " << st.message() << "\n";
    return 1;
  };
  auto drive = MakeDriveStack(s);
  if (!drive.ok()) return fail(drive.status());
  auto drives = drive->client->ListDrives();
  if (!drives.ok()) return fail(drives.status());
  for (const auto& d : *drives)
    out << d.id << "\t" << d.name << (d.hidden ? " (hidden)" : "") << "\n";
  if (drives->empty()) err << "gdmount drives: no shared drives\n";
  return 0;
}

}  // namespace gdmount::daemon
