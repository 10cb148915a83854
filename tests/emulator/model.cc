#include "tests/emulator/model.h"

#include "tests/emulator/blob.h"

namespace gdmount::emulator {

bool IsGoogleNative(const std::string& mime) {
  return mime.rfind(kGoogleAppsPrefix, 0) == 0 && mime != kFolderMime &&
         mime != kShortcutMime;
}

int64_t FileRecord::size() const { return content ? content->size() : 0; }

}  // namespace gdmount::emulator
