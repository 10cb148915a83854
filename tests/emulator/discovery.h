// The official Drive v3 discovery document (drive-v3-discovery.json, revision
// 20260916), embedded at build time. The emulator validates parameters and
// `fields` against it and serves it (rootUrl rewritten) to generated clients.
#pragma once

namespace gdmount::emulator {

extern const char* const kDriveDiscoveryJson;

}  // namespace gdmount::emulator
