#include "drive/json_codec.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace gdmount::drive {
namespace {

using json = nlohmann::json;

Status Corrupt(const std::string& path, std::string_view why) {
  return Status(StatusCode::kCorruption, path + ": " + std::string(why));
}

// Parses `body` into `out`, which must be a JSON object.
Status ParseObject(std::string_view body, json* out) {
  *out = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    return Status(StatusCode::kCorruption, "response is not valid JSON");
  }
  if (!out->is_object()) {
    return Status(StatusCode::kCorruption, "response is not a JSON object");
  }
  return Status::Ok();
}

// Drive sends int64 as a string of digits; accept JSON integers too.
bool Int64FromJson(const json& v, int64_t* out) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMax)) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return *out >= 0;
  }
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return false;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (n > (kMax - (c - '0')) / 10) return false;
    n = n * 10 + (c - '0');
  }
  *out = n;
  return true;
}

// Typed access to the members of one JSON object; every error names the
// member by its full path ("files[2].capabilities.canEdit").
class Obj {
 public:
  Obj(const json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {}

  std::string Path(const char* key) const { return prefix_ + key; }

  // The member, or nullptr when absent or JSON null.
  const json* Get(const char* key) const {
    auto it = j_.find(key);
    return (it == j_.end() || it->is_null()) ? nullptr : &*it;
  }

  Status Str(const char* key, std::string* out, bool required = false) const {
    const json* v = Get(key);
    if (v == nullptr) {
      return required ? Corrupt(Path(key), "missing") : Status::Ok();
    }
    if (!v->is_string()) return Corrupt(Path(key), "expected a string");
    *out = v->get_ref<const std::string&>();
    return Status::Ok();
  }

  Status NonEmptyStr(const char* key, std::string* out) const {
    if (Status s = Str(key, out, /*required=*/true); !s.ok()) return s;
    return out->empty() ? Corrupt(Path(key), "empty") : Status::Ok();
  }

  Status Bool(const char* key, bool* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_boolean()) return Corrupt(Path(key), "expected a boolean");
    *out = v->get<bool>();
    return Status::Ok();
  }

  Status Int(const char* key, std::optional<int64_t>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::Ok();
    int64_t n = 0;
    if (!Int64FromJson(*v, &n)) return Corrupt(Path(key), "not an int64");
    *out = n;
    return Status::Ok();
  }

  Status Int(const char* key, int64_t* out) const {
    std::optional<int64_t> n;
    if (Status s = Int(key, &n); !s.ok()) return s;
    if (n) *out = *n;
    return Status::Ok();
  }

  Status Time(const char* key, int64_t* out) const {
    std::string text;
    if (Status s = Str(key, &text); !s.ok() || text.empty()) return s;
    Result<int64_t> ms = ParseRfc3339(text);
    if (!ms.ok()) return Corrupt(Path(key), "not an RFC 3339 time");
    *out = *ms;
    return Status::Ok();
  }

  // An array of strings; `out` stays empty when absent.
  Status StrList(const char* key, std::vector<std::string>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_array()) return Corrupt(Path(key), "expected an array");
    out->clear();
    for (const json& item : *v) {
      if (!item.is_string()) {
        return Corrupt(Path(key), "expected an array of strings");
      }
      out->push_back(item.get_ref<const std::string&>());
    }
    return Status::Ok();
  }

  // A nested object, or nullptr when absent; Corruption if not an object.
  Status Child(const char* key, const json** out) const {
    *out = Get(key);
    if (*out != nullptr && !(*out)->is_object()) {
      return Corrupt(Path(key), "expected an object");
    }
    return Status::Ok();
  }

 private:
  const json& j_;
  std::string prefix_;
};

Status Md5FromJson(const Obj& o, std::string* out) {
  if (Status s = o.Str("md5Checksum", out); !s.ok() || out->empty()) return s;
  if (out->size() != 32) return Corrupt(o.Path("md5Checksum"), "not an MD5");
  for (char& c : *out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Corrupt(o.Path("md5Checksum"), "not an MD5");
    }
  }
  return Status::Ok();
}

Status CapabilitiesFromJson(const json& j, const std::string& prefix,
                            Capabilities* c) {
  const Obj o(j, prefix);
  for (auto [key, field] : {std::pair{"canEdit", &c->can_edit},
                            {"canDownload", &c->can_download},
                            {"canTrash", &c->can_trash},
                            {"canDelete", &c->can_delete},
                            {"canRename", &c->can_rename},
                            {"canAddChildren", &c->can_add_children}}) {
    if (Status s = o.Bool(key, field); !s.ok()) return s;
  }
  return Status::Ok();
}

Status AppPropertiesFromJson(const json& j, const std::string& prefix,
                             std::map<std::string, std::string>* out) {
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) return Corrupt(prefix + key, "expected a string");
    (*out)[key] = value.get_ref<const std::string&>();
  }
  return Status::Ok();
}

// The nested objects of a file: shortcutDetails, capabilities, appProperties.
Status FileChildrenFromJson(const Obj& o, DriveFile* f) {
  const json* child = nullptr;
  if (Status s = o.Child("shortcutDetails", &child); !s.ok()) return s;
  if (child != nullptr) {
    const Obj sd(*child, o.Path("shortcutDetails") + ".");
    if (Status s = sd.Str("targetId", &f->shortcut_target_id); !s.ok()) {
      return s;
    }
    Status s = sd.Str("targetMimeType", &f->shortcut_target_mime);
    if (!s.ok()) return s;
  }
  if (Status s = o.Child("capabilities", &child); !s.ok()) return s;
  if (child != nullptr) {
    Capabilities caps;
    Status s =
        CapabilitiesFromJson(*child, o.Path("capabilities") + ".", &caps);
    if (!s.ok()) return s;
    f->capabilities = caps;
  }
  if (Status s = o.Child("appProperties", &child); !s.ok()) return s;
  if (child != nullptr) {
    return AppPropertiesFromJson(*child, o.Path("appProperties") + ".",
                                 &f->app_properties);
  }
  return Status::Ok();
}

// `path` names the file in error messages ("files[3]"; "" at top level).
Result<DriveFile> FileAt(const json& j, const std::string& path) {
  if (!j.is_object()) {
    return Corrupt(path.empty() ? "file" : path, "expected an object");
  }
  const Obj o(j, path.empty() ? "" : path + ".");
  DriveFile f;
  for (Status s :
       {o.NonEmptyStr("id", &f.id), o.Str("name", &f.name, /*required=*/true),
        o.NonEmptyStr("mimeType", &f.mime_type),
        o.StrList("parents", &f.parents), o.Int("size", &f.size),
        Md5FromJson(o, &f.md5), o.Int("version", &f.version),
        o.Str("headRevisionId", &f.head_revision_id),
        o.Time("createdTime", &f.created_ms),
        o.Time("modifiedTime", &f.modified_ms), o.Bool("trashed", &f.trashed),
        o.Bool("explicitlyTrashed", &f.explicitly_trashed),
        o.Str("driveId", &f.drive_id), o.Str("webViewLink", &f.web_view_link),
        o.Bool("ownedByMe", &f.owned_by_me), FileChildrenFromJson(o, &f)}) {
    if (!s.ok()) return s;
  }
  // Every file with bytes of its own has a size (we always ask for it);
  // without one, its content would read as empty. One with neither size
  // nor md5 has no content at all (created from metadata alone): 0 bytes.
  if (!f.size && !f.is_folder() && !f.is_shortcut() && !f.is_native()) {
    if (!f.md5.empty())
      return Corrupt(o.Path("size"), "missing for a file with content");
    f.size = 0;
  }
  return f;
}

Result<Change> ChangeAt(const json& j, const std::string& path) {
  if (!j.is_object()) return Corrupt(path, "expected an object");
  const Obj o(j, path + ".");
  Change c;
  c.change_type = "file";
  for (Status s : {o.Str("changeType", &c.change_type),
                   o.Str("fileId", &c.file_id), o.Bool("removed", &c.removed),
                   o.Time("time", &c.time_ms), o.Str("driveId", &c.drive_id)}) {
    if (!s.ok()) return s;
  }
  if (c.removed || c.change_type != "file") return c;
  const json* file = o.Get("file");
  if (file == nullptr) return Corrupt(path, "file change without a file");
  Result<DriveFile> f = FileAt(*file, path + ".file");
  if (!f.ok()) return f.status();
  if (c.file_id.empty()) c.file_id = f->id;
  if (c.file_id != f->id) return Corrupt(path, "fileId differs from file.id");
  c.file = std::move(*f);
  return c;
}

// The array at `key` (absent: empty), each element decoded by `decode`.
template <typename T, typename Decode>
Status ArrayOf(const Obj& o, const char* key, Decode decode,
               std::vector<T>* out) {
  const json* arr = o.Get(key);
  if (arr == nullptr) return Status::Ok();
  if (!arr->is_array()) return Corrupt(o.Path(key), "expected an array");
  out->reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    Result<T> item =
        decode((*arr)[i], o.Path(key) + "[" + std::to_string(i) + "]");
    if (!item.ok()) return item.status();
    out->push_back(std::move(*item));
  }
  return Status::Ok();
}

Result<SharedDrive> DriveAt(const json& j, const std::string& path) {
  if (!j.is_object()) return Corrupt(path, "expected an object");
  const Obj o(j, path + ".");
  SharedDrive d;
  for (Status s :
       {o.NonEmptyStr("id", &d.id), o.Str("name", &d.name, /*required=*/true),
        o.Bool("hidden", &d.hidden)}) {
    if (!s.ok()) return s;
  }
  return d;
}

Status QuotaFromJson(const Obj& o, About* a) {
  const json* quota = nullptr;
  if (Status s = o.Child("storageQuota", &quota); !s.ok() || !quota) return s;
  const Obj q(*quota, "storageQuota.");
  for (Status s :
       {q.Int("limit", &a->quota_limit), q.Int("usage", &a->quota_usage),
        q.Int("usageInDrive", &a->quota_usage_in_drive),
        q.Int("usageInDriveTrash", &a->quota_usage_in_trash)}) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ExportFormatsFromJson(const Obj& o, About* a) {
  const json* formats = nullptr;
  if (Status s = o.Child("exportFormats", &formats); !s.ok() || !formats) {
    return s;
  }
  const Obj f(*formats, "exportFormats.");
  for (const auto& item : formats->items()) {
    const std::string& key = item.key();
    Status s = f.StrList(key.c_str(), &a->export_formats[key]);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's
// days_from_civil): no timegm(), no TZ, no time_t range limits.
constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int64_t kMinFormattableMs = DaysFromCivil(0, 1, 1) * kMsPerDay;
constexpr int64_t kMaxFormattableMs =
    DaysFromCivil(10000, 1, 1) * kMsPerDay - 1;

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// A left-to-right reader over an RFC 3339 string.
struct Cursor {
  std::string_view s;
  size_t pos = 0;

  bool AtDigit() const {
    return pos < s.size() && s[pos] >= '0' && s[pos] <= '9';
  }
  bool Digits(int n, int* out) {
    *out = 0;
    for (int i = 0; i < n; ++i, ++pos) {
      if (!AtDigit()) return false;
      *out = *out * 10 + (s[pos] - '0');
    }
    return true;
  }
  // Consumes `c` (or its lower-case form) if it is next.
  bool Lit(char c) {
    if (pos >= s.size()) return false;
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    if (s[pos] != c && s[pos] != lower) return false;
    ++pos;
    return true;
  }
};

// "[.fraction]" -> milliseconds, truncated; false on "." without digits.
bool ParseFraction(Cursor* c, int64_t* millis) {
  *millis = 0;
  if (!c->Lit('.')) return true;
  int digits = 0;
  for (; c->AtDigit(); ++c->pos, ++digits) {
    if (digits < 3) *millis = *millis * 10 + (c->s[c->pos] - '0');
  }
  for (int i = digits; i < 3; ++i) *millis *= 10;
  return digits > 0;
}

// "Z" or "+HH:MM" / "-HH:MM" -> minutes east of UTC.
bool ParseOffset(Cursor* c, int* minutes) {
  *minutes = 0;
  if (c->Lit('Z')) return true;
  if (c->pos >= c->s.size()) return false;
  const char sign = c->s[c->pos];
  if (sign != '+' && sign != '-') return false;
  ++c->pos;
  int h = 0, m = 0;
  if (!c->Digits(2, &h) || !c->Lit(':') || !c->Digits(2, &m) || h > 23 ||
      m > 59) {
    return false;
  }
  *minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

}  // namespace

std::string ListFields() {
  return std::string("nextPageToken,incompleteSearch,files(") + kFileFields +
         ")";
}

std::string ChangeFields() {
  return std::string(
             "nextPageToken,newStartPageToken,changes(changeType,fileId,"
             "removed,time,driveId,file(") +
         kFileFields + "))";
}

std::string DriveListFields() { return "nextPageToken,drives(id,name,hidden)"; }

std::string AboutFields() {
  return "user(displayName,emailAddress),storageQuota,maxUploadSize,"
         "exportFormats";
}

Result<DriveFile> FileFromJson(const json& value) { return FileAt(value, ""); }

Result<DriveFile> ParseFile(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  return FileAt(doc, "");
}

Result<FileListPage> ParseFileList(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  const Obj o(doc, "");
  FileListPage page;
  for (Status s : {o.Str("nextPageToken", &page.next_page_token),
                   o.Bool("incompleteSearch", &page.incomplete_search),
                   ArrayOf<DriveFile>(o, "files", FileAt, &page.files)}) {
    if (!s.ok()) return s;
  }
  return page;
}

Result<DriveListPage> ParseDriveList(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  const Obj o(doc, "");
  DriveListPage page;
  for (Status s : {o.Str("nextPageToken", &page.next_page_token),
                   ArrayOf<SharedDrive>(o, "drives", DriveAt, &page.drives)}) {
    if (!s.ok()) return s;
  }
  return page;
}

Result<ChangePage> ParseChangeList(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  const Obj o(doc, "");
  ChangePage page;
  for (Status s : {o.Str("nextPageToken", &page.next_page_token),
                   o.Str("newStartPageToken", &page.new_start_page_token),
                   ArrayOf<Change>(o, "changes", ChangeAt, &page.changes)}) {
    if (!s.ok()) return s;
  }
  const bool next = !page.next_page_token.empty();
  const bool start = !page.new_start_page_token.empty();
  if (!next && !start) {
    return Status(StatusCode::kCorruption, "changes page without a token");
  }
  if (next && start) {
    return Status(StatusCode::kCorruption,
                  "changes page with both nextPageToken and newStartPageToken");
  }
  return page;
}

Result<About> ParseAbout(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  const Obj o(doc, "");
  About a;
  const json* user = nullptr;
  if (Status s = o.Child("user", &user); !s.ok()) return s;
  if (user != nullptr) {
    const Obj u(*user, "user.");
    for (Status s : {u.Str("displayName", &a.user_display_name),
                     u.Str("emailAddress", &a.user_email)}) {
      if (!s.ok()) return s;
    }
  }
  for (Status s :
       {QuotaFromJson(o, &a), o.Int("maxUploadSize", &a.max_upload_size),
        ExportFormatsFromJson(o, &a)}) {
    if (!s.ok()) return s;
  }
  return a;
}

Result<std::string> ParseStartPageToken(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  std::string token;
  Status s = Obj(doc, "").NonEmptyStr("startPageToken", &token);
  if (!s.ok()) return s;
  return token;
}

Result<std::vector<std::string>> ParseGeneratedIds(std::string_view body) {
  json doc;
  if (Status s = ParseObject(body, &doc); !s.ok()) return s;
  const Obj o(doc, "");
  if (o.Get("ids") == nullptr) return Corrupt("ids", "missing");
  std::vector<std::string> ids;
  if (Status s = o.StrList("ids", &ids); !s.ok()) return s;
  for (const std::string& id : ids) {
    if (id.empty()) return Corrupt("ids", "empty id");
  }
  return ids;
}

std::string MetadataToJson(const FileMetadata& m) {
  json j = json::object();
  if (m.id) j["id"] = *m.id;
  if (m.name) j["name"] = *m.name;
  if (m.mime_type) j["mimeType"] = *m.mime_type;
  if (m.parent_id) j["parents"] = json::array({*m.parent_id});
  if (m.modified_ms) j["modifiedTime"] = FormatRfc3339(*m.modified_ms);
  if (m.trashed) j["trashed"] = *m.trashed;
  if (m.description) j["description"] = *m.description;
  if (m.shortcut_target_id) {
    j["shortcutDetails"] = {{"targetId", *m.shortcut_target_id}};
  }
  if (!m.app_properties.empty()) {
    json props = json::object();
    for (const auto& [key, value] : m.app_properties) {
      props[key] = value ? json(*value) : json(nullptr);
    }
    j["appProperties"] = std::move(props);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FormatRfc3339(int64_t ms) {
  ms = std::clamp(ms, kMinFormattableMs, kMaxFormattableMs);
  // Floor division so times before 1970 format correctly.
  int64_t days = ms / kMsPerDay;
  int64_t rem = ms % kMsPerDay;
  if (rem < 0) rem += kMsPerDay, --days;
  // civil_from_days (H. Hinnant), the inverse of DaysFromCivil.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2));
  const int secs = static_cast<int>(rem / 1000);
  char buf[48];  // 24 chars + NUL; room for any int the compiler imagines
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
                secs / 3600, secs / 60 % 60, secs % 60,
                static_cast<int>(rem % 1000));
  return buf;
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  Cursor c{text};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, offset_min = 0;
  int64_t millis = 0;
  const bool parsed = c.Digits(4, &y) && c.Lit('-') && c.Digits(2, &mo) &&
                      c.Lit('-') && c.Digits(2, &d) && c.Lit('T') &&
                      c.Digits(2, &h) && c.Lit(':') && c.Digits(2, &mi) &&
                      c.Lit(':') && c.Digits(2, &s) &&
                      ParseFraction(&c, &millis) &&
                      ParseOffset(&c, &offset_min) && c.pos == text.size();
  if (!parsed || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) ||
      h > 23 || mi > 59 || s > 60) {
    return InvalidArgumentError("not an RFC 3339 date-time: '" +
                                std::string(text.substr(0, 64)) + "'");
  }
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                       s - int64_t{offset_min} * 60;
  return secs * 1000 + millis;
}

}  // namespace gdmount::drive
