// The systemd readiness protocol (sd_notify(3)), spoken directly: one
// datagram to $NOTIFY_SOCKET per state change ("READY=1", "STOPPING=1",
// "STATUS=..."). Without NOTIFY_SOCKET (not run by systemd) it does
// nothing. No libsystemd: the protocol is a single sendto().
#pragma once

#include <string>

namespace gdmount::daemon {

// Sends `state` (newline-separated assignments); false if it could not.
bool SdNotify(const std::string& state);

}  // namespace gdmount::daemon
