// Fuzz target: every decoder of Drive's answers (json_codec.h, errors.h).
// The first byte picks the decoder; the rest is the response body. Beyond
// "no crash, no hang, no out-of-bounds access", what a decoder accepts must
// keep the invariants the layers above rely on.
#include <chrono>
#include <string>

#include "drive/errors.h"
#include "drive/json_codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace gdmount::fuzz {
namespace {

bool IsLowerHex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void CheckFile(const drive::DriveFile& f) {
  FUZZ_CHECK(!f.id.empty(), f.name);
  FUZZ_CHECK(!f.mime_type.empty(), f.id);
  FUZZ_CHECK(!f.size || *f.size >= 0, f.id);
  FUZZ_CHECK(f.md5.empty() || IsLowerHex32(f.md5), f.md5);
  FUZZ_CHECK(f.version >= 0, f.id);
  // Content files always carry a size: the cache sizes its files by it.
  if (!f.is_folder() && !f.is_shortcut() && !f.is_native() && !f.md5.empty())
    FUZZ_CHECK(f.size.has_value(), f.id);
}

}  // namespace
}  // namespace gdmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gdmount;
  using namespace gdmount::fuzz;
  using namespace gdmount::drive;
  FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  const std::string_view body = in.Rest();
  switch (which % 10) {
    case 0:
      if (auto f = drive::ParseFile(body); f.ok()) CheckFile(*f);
      break;
    case 1:
      if (auto page = drive::ParseFileList(body); page.ok())
        for (const DriveFile& f : page->files) CheckFile(f);
      break;
    case 2:
      if (auto page = drive::ParseChangeList(body); page.ok()) {
        FUZZ_CHECK(
            page->next_page_token.empty() != page->new_start_page_token.empty(),
            body);
        for (const Change& c : page->changes) {
          if (c.file) CheckFile(*c.file);
          if (!c.removed && c.change_type == "file")
            FUZZ_CHECK(c.file.has_value(), c.file_id);
        }
      }
      break;
    case 3:
      if (auto about = drive::ParseAbout(body); about.ok()) {
        FUZZ_CHECK(!about->quota_limit || *about->quota_limit >= 0, body);
        FUZZ_CHECK(about->quota_usage >= 0 && about->max_upload_size >= 0,
                   body);
      }
      break;
    case 4:
      if (auto page = drive::ParseDriveList(body); page.ok())
        for (const SharedDrive& d : page->drives)
          FUZZ_CHECK(!d.id.empty(), d.name);
      break;
    case 5:
      if (auto t = drive::ParseStartPageToken(body); t.ok())
        FUZZ_CHECK(!t->empty(), body);
      break;
    case 6:
      if (auto ids = drive::ParseGeneratedIds(body); ids.ok())
        for (const std::string& id : *ids) FUZZ_CHECK(!id.empty(), body);
      break;
    case 7: {
      // Any status with any body: an error the retry logic can classify.
      drive::ErrorDetails d = drive::ParseErrorBody(body);
      (void)d;
      int status = 100 + static_cast<int>(data[0]) * 2;
      Status s = drive::StatusFromHttp(status, body);
      (void)drive::IsTransient(s);
      (void)drive::IsDailyLimit(s);
      (void)drive::IsDownloadQuota(s);
      break;
    }
    case 8: {
      auto now = std::chrono::system_clock::time_point(
          std::chrono::hours(24 * 365 * 56));
      if (auto d = drive::ParseRetryAfter(body, now); d) {
        FUZZ_CHECK(d->count() >= 0, body);
        FUZZ_CHECK(*d <= std::chrono::milliseconds(drive::kMaxRetryAfter),
                   body);
      }
      break;
    }
    default:
      // A timestamp that parses formats back to itself.
      if (auto ms = drive::ParseRfc3339(body); ms.ok()) {
        std::string again = drive::FormatRfc3339(*ms);
        auto back = drive::ParseRfc3339(again);
        FUZZ_CHECK(back.ok() && *back == *ms, again);
      }
  }
  return 0;
}
