// Fuzz target: the config file (parsed alone, and resolved into Settings
// the way `gdmount mount` does) and the export-format spec. A config that is
// accepted yields settings inside their documented ranges.
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>

#include "config/config_file.h"
#include "config/settings.h"
#include "tests/fuzz/fuzz_input.h"
#include "vfs/name_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gdmount;
  using namespace gdmount::fuzz;
  FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  const std::string_view text = in.Rest();
  switch (which % 3) {
    case 0: {
      std::vector<std::string> keys;
      for (const auto& s : config::SettingsTable()) keys.push_back(s.key);
      keys.push_back("account.*.client_id");
      (void)config::ParseConfig(text, "fuzz.toml", keys);
      break;
    }
    case 1: {
      // Through a memfd: the same path as a real file, without touching disk.
      int fd = memfd_create("gdmount-fuzz-config", 0);
      if (fd < 0) return 0;
      if (write(fd, text.data(), text.size()) ==
          static_cast<ssize_t>(text.size())) {
        std::string path = "/proc/self/fd/" + std::to_string(fd);
        auto env =
            [&path](const std::string& name) -> std::optional<std::string> {
          if (name == "GDMOUNT_CONFIG") return path;
          if (name == "HOME") return std::string("/nonexistent");
          return std::nullopt;
        };
        if (auto s = config::ResolveSettings({}, env); s.ok()) {
          FUZZ_CHECK(s->pacer_rate >= 0, text);
          FUZZ_CHECK(s->pacer_burst >= 1, text);
          FUZZ_CHECK(s->retry_attempts >= 1, text);
        }
      }
      close(fd);
      break;
    }
    default:
      if (auto map = vfs::ParseExportMap(text); map.ok())
        for (const auto& [type, format] : *map) {
          FUZZ_CHECK(!type.empty(), text);
          FUZZ_CHECK(!format.mime_type.empty(), text);
        }
  }
  return 0;
}
