#include "tests/emulator/store.h"

#include <algorithm>
#include <random>

#include "tests/emulator/blob.h"
#include "tests/emulator/ids.h"
#include "tests/emulator/jwt.h"
#include "tests/emulator/timefmt.h"

namespace gdmount::emulator {
namespace {

constexpr int kMaxParentsMessageless = 1;

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// "file10" after "file9": digit runs compare by value.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2])))
        ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2])))
        ++j2;
      std::string_view na(a.data() + i, i2 - i), nb(b.data() + j, j2 - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
      continue;
    }
    char ca = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
    char cb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j])));
    if (ca != cb) return ca < cb;
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

template <typename T>
int Compare(const T& x, const T& y) {
  return x < y ? -1 : (y < x ? 1 : 0);
}

int64_t Recency(const FileRecord& f) {
  return std::max(
      {f.modified_ms, f.viewed_by_me_ms, f.created_ms, f.shared_with_me_ms});
}

// Compares two records by one orderBy key: <0, 0, >0.
using RecordCompare = int (*)(const FileRecord& a, const FileRecord& b);

// orderBy key -> its comparison, looked up once per request: a sort compares
// ~2 million times for 100,000 items.
const std::map<std::string, RecordCompare>& Comparisons() {
  using R = const FileRecord&;
  static const std::map<std::string, RecordCompare> kByKey = {
      {"name", [](R a, R b) { return Compare(a.name, b.name); }},
      {"name_natural",
       [](R a, R b) {
         return NaturalLess(a.name, b.name)
                    ? -1
                    : (NaturalLess(b.name, a.name) ? 1 : 0);
       }},
      {"folder",
       [](R a, R b) { return Compare(!a.is_folder(), !b.is_folder()); }},
      {"modifiedTime",
       [](R a, R b) { return Compare(a.modified_ms, b.modified_ms); }},
      {"modifiedByMeTime",
       [](R a, R b) {
         return Compare(a.modified_by_me_ms, b.modified_by_me_ms);
       }},
      {"createdTime",
       [](R a, R b) { return Compare(a.created_ms, b.created_ms); }},
      {"viewedByMeTime",
       [](R a, R b) { return Compare(a.viewed_by_me_ms, b.viewed_by_me_ms); }},
      {"quotaBytesUsed", [](R a, R b) { return Compare(a.size(), b.size()); }},
      {"starred", [](R a, R b) { return Compare(!a.starred, !b.starred); }},
      {"sharedWithMeTime",
       [](R a, R b) {
         return Compare(a.shared_with_me_ms, b.shared_with_me_ms);
       }},
      {"recency", [](R a, R b) { return Compare(Recency(a), Recency(b)); }}};
  return kByKey;
}

bool KnownOrderKey(const std::string& k) { return Comparisons().count(k) > 0; }

// Rearranges `hits` so that positions [start, end) hold what a full
// std::sort by `less` would put there, in O(n) rather than O(n log n): a
// listing sorts all its matches for every page it returns. Exact because
// `less` is a total order (ties end on the unique seq).
template <typename Less>
void SortWindow(std::vector<const FileRecord*>* hits, size_t start, size_t end,
                const Less& less) {
  auto first = hits->begin();
  if (start >= end) return;
  if (start > 0) std::nth_element(first, first + start, hits->end(), less);
  if (end < hits->size())
    std::nth_element(first + start, first + end, hits->end(), less);
  std::sort(first + start, first + end, less);
}

ApiError FieldNotWritable(const std::string& message =
                              "The resource body includes fields which are "
                              "not directly writable.") {
  return Forbidden("fieldNotWritable", message);
}

ApiError InvalidField(const std::string& field) {
  return BadRequest("Invalid value for field: " + field, "invalid", field,
                    "other");
}

}  // namespace

Store::Store(StoreOptions options, std::shared_ptr<Journal> journal)
    : options_(std::move(options)), journal_(std::move(journal)) {}

Store::~Store() {
  // Persistent blobs must outlive this process: they are named in the journal.
  if (journal_ && journal_->persistent()) {
    for (auto& [id, f] : files_) {
      if (auto* fb = dynamic_cast<const FileBlob*>(f.content.get()))
        fb->set_keep_file(true);
    }
  }
}

std::string Store::NewId() {
  for (;;) {
    std::string id = "1" + RandomUrlSafe(32);
    if (!files_.count(id) && !generated_ids_.count(id)) return id;
  }
}

const FileRecord* Store::Find(const std::string& id) const {
  auto it = files_.find(id == "root" ? root_id_ : id);
  return it == files_.end() ? nullptr : &it->second;
}

FileRecord* Store::FindMutable(const std::string& id) {
  return const_cast<FileRecord*>(Find(id));
}

bool Store::Visible(const FileRecord& f, const Scope& scope) const {
  return f.drive_id.empty() || scope.supports_all_drives;
}

// The user's quota counts only its own My Drive items.
int64_t Store::UsageOf(const FileRecord& f) const {
  return f.drive_id.empty() && !f.owned_by_other() ? f.size() : 0;
}

void Store::Insert(FileRecord rec) {
  if (rec.seq == 0) rec.seq = next_seq_++;
  next_seq_ = std::max(next_seq_, rec.seq + 1);
  usage_ += UsageOf(rec);
  if (rec.trashed) usage_trash_ += UsageOf(rec);
  std::string id = rec.id;
  const FileRecord& stored = files_[id] = std::move(rec);
  if (!stored.parents.empty())
    children_[stored.parents[0]][stored.seq] = &stored;
}

void Store::Erase(const std::string& id) {
  auto it = files_.find(id);
  if (it == files_.end()) return;
  const FileRecord& f = it->second;
  if (!f.parents.empty()) {
    auto c = children_.find(f.parents[0]);
    if (c != children_.end()) {
      c->second.erase(f.seq);
      if (c->second.empty()) children_.erase(c);
    }
  }
  usage_ -= UsageOf(f);
  if (f.trashed) usage_trash_ -= UsageOf(f);
  files_.erase(it);
}

void Store::Replace(const FileRecord& before, FileRecord after) {
  std::string id = before.id;
  Erase(id);  // `before` dangles from here on
  Insert(std::move(after));
}

void Store::RecordChange(const FileRecord& rec, bool removed) {
  auto prev = latest_change_.find(rec.id);
  if (prev != latest_change_.end()) changes_.erase(prev->second);
  uint64_t counter = next_change_++;
  changes_[counter] = ChangeEntry{rec.id, rec.drive_id, removed, Now()};
  latest_change_[rec.id] = counter;
  if (!journal_ || !journal_->persistent()) return;
  if (removed) {
    journal_->Append({{"t", "del"},
                      {"id", rec.id},
                      {"d", rec.drive_id},
                      {"c", counter},
                      {"time", Now()}});
  } else {
    Persist(rec);
  }
}

// Applies the writable fields of a request body to *rec. Parents are handled
// by the callers (create takes `parents`, update refuses it).
ApiOr<Ok> Store::ApplyWritable(const nlohmann::json& md, bool creating,
                               FileRecord* rec) const {
  if (!md.is_object()) return BadRequest("Invalid JSON payload received.");
  for (auto it = md.begin(); it != md.end(); ++it) {
    if (options_.read_only_fields.count(it.key()) &&
        !(creating && it.key() == "id"))
      return FieldNotWritable();
  }
  auto get_string = [&](const char* key, std::string* out) -> bool {
    auto it = md.find(key);
    if (it == md.end() || it->is_null()) return true;
    if (!it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  std::string name = rec->name, mime = rec->mime_type, desc = rec->description;
  if (!get_string("name", &name)) return InvalidField("name");
  if (!get_string("description", &desc)) return InvalidField("description");
  if (!get_string("mimeType", &mime)) return InvalidField("mimeType");
  if (!get_string("originalFilename", &rec->original_filename))
    return InvalidField("originalFilename");
  if (name != rec->name) rec->name_changed_ms = Now();
  rec->name = name;
  rec->description = desc;
  if (!creating && mime != rec->mime_type) return FieldNotWritable();
  rec->mime_type = mime;
  for (const char* key : {"starred", "trashed"}) {
    auto it = md.find(key);
    if (it == md.end() || it->is_null()) continue;
    if (!it->is_boolean()) return InvalidField(key);
    (std::string(key) == "starred" ? rec->starred : rec->trashed) =
        it->get<bool>();
  }
  struct TimeField {
    const char* key;
    int64_t* dest;
  } times[] = {{"modifiedTime", &rec->modified_ms},
               {"viewedByMeTime", &rec->viewed_by_me_ms},
               {"createdTime", &rec->created_ms}};
  for (auto& tf : times) {
    auto it = md.find(tf.key);
    if (it == md.end() || it->is_null()) continue;
    if (std::string(tf.key) == "createdTime" && !creating)
      return FieldNotWritable();
    std::optional<int64_t> t;
    if (it->is_string()) t = ParseRfc3339(it->get<std::string>());
    if (!t) return InvalidField(tf.key);
    *tf.dest = *t;
    if (std::string(tf.key) == "modifiedTime") rec->modified_by_me_ms = *t;
  }
  for (auto [key, map] : {std::pair{"properties", &rec->properties},
                          std::pair{"appProperties", &rec->app_properties}}) {
    auto it = md.find(key);
    if (it == md.end() || it->is_null()) continue;
    if (!it->is_object()) return InvalidField(key);
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
      if (kv.value().is_null()) {
        map->erase(kv.key());
      } else if (kv.value().is_string()) {
        (*map)[kv.key()] = kv.value().get<std::string>();
      } else {
        return InvalidField(std::string(key) + "." + kv.key());
      }
    }
  }
  if (auto it = md.find("shortcutDetails"); it != md.end() && !it->is_null()) {
    if (!creating) return FieldNotWritable();
    if (!it->is_object() || !it->contains("targetId") ||
        !(*it)["targetId"].is_string())
      return InvalidField("shortcutDetails.targetId");
    rec->shortcut_target_id = (*it)["targetId"].get<std::string>();
  }
  return Ok{};
}

// Resolves and checks a prospective parent: exists, visible, a folder, and
// writable. Returns the real id (the 'root' alias resolved).
ApiOr<std::string> Store::CheckParent(const std::string& parent_id,
                                      const Scope& scope) const {
  const FileRecord* p = Find(parent_id);
  if (!p || !Visible(*p, scope)) return FileNotFound(parent_id);
  if (!p->is_folder())
    return BadRequest("The specified parent is not a folder.", "badRequest",
                      "parents", "other");
  if (p->read_only) return InsufficientPermissions();
  return p->id;
}

bool Store::IsAncestor(const std::string& ancestor,
                       const std::string& id) const {
  const FileRecord* f = Find(id);
  for (int depth = 0; f && depth < 10000; ++depth) {
    if (f->id == ancestor) return true;
    if (f->parents.empty()) return false;
    f = Find(f->parents[0]);
  }
  return false;
}

void Store::ForEachDescendant(
    const std::string& id,
    const std::function<void(const std::string&)>& fn) const {
  std::vector<std::string> stack = {id};
  std::vector<std::string> out;
  while (!stack.empty()) {
    std::string cur = stack.back();
    stack.pop_back();
    auto it = children_.find(cur);
    if (it == children_.end()) continue;
    for (const auto& [seq, child] : it->second) {
      out.push_back(child->id);
      stack.push_back(child->id);
    }
  }
  for (const auto& c : out) fn(c);
}

void Store::SetContent(FileRecord* rec, const NewContent& content) {
  rec->content = content.blob;
  rec->head_revision_id = "0B" + NewId().substr(1, 20);
  if (rec->mime_type.empty())
    rec->mime_type = content.mime_type.empty() ? "application/octet-stream"
                                               : content.mime_type;
}

ApiOr<Ok> Store::CheckQuota(int64_t bytes, const std::string& parent_id) const {
  SharedLock lock(mu_);
  const FileRecord* p = Find(parent_id.empty() ? root_id_ : parent_id);
  if (p && !p->drive_id.empty()) return Ok{};  // shared drives: own pool
  if (OverQuota(bytes)) return StorageQuotaExceeded();
  return Ok{};
}

bool Store::OverQuota(int64_t extra_bytes) const {
  return options_.quota_limit > 0 && extra_bytes > 0 &&
         usage_ + extra_bytes > options_.quota_limit;
}

ApiOr<FileRecord> Store::Get(const std::string& id, const Scope& scope) const {
  SharedLock lock(mu_);
  const FileRecord* f = Find(id);
  if (!f || !Visible(*f, scope)) return FileNotFound(id);
  return *f;
}

size_t Store::size() const {
  SharedLock lock(mu_);
  return files_.size();
}

bool Store::empty() const {
  SharedLock lock(mu_);
  return files_.size() <= 1;
}

ApiOr<ListPage> Store::List(const ListRequest& req) const {
  if (req.corpora != "user" && req.corpora != "drive" &&
      req.corpora != "allDrives" && req.corpora != "domain")
    return InvalidParameter("corpora", "Invalid Value");
  if ((req.corpora == "drive") != !req.drive_id.empty())
    return BadRequest(
        "The driveId parameter must be specified if and only if corpora is "
        "set to drive.",
        "invalid", "driveId");
  if (req.scope.include_all_drives && !req.scope.supports_all_drives)
    return IncludeItemsWithoutSupportsAllDrives();
  if ((req.corpora == "drive" || req.corpora == "allDrives") &&
      !req.scope.include_all_drives)
    return BadRequest(
        "The includeItemsFromAllDrives parameter must be set to true when "
        "corpora is drive or allDrives.",
        "invalid", "includeItemsFromAllDrives");
  for (const auto& k : req.order)
    if (!KnownOrderKey(k.key))
      return InvalidParameter("orderBy", "Invalid Value");
  if (req.spaces != "drive" && req.spaces != "appDataFolder" &&
      req.spaces != "drive,appDataFolder")
    return InvalidParameter("spaces", "Invalid Value");

  // The page token binds the query: reusing it for another query is an error.
  std::string fingerprint =
      (req.q ? "q" : "-") + req.corpora + "|" + req.drive_id + "|" + req.spaces;
  for (const auto& k : req.order) fingerprint += k.key + (k.desc ? "-" : "+");
  uint64_t qhash = Fnv1a(fingerprint);
  uint64_t after = 0, round = 0;
  if (!req.page_token.empty()) {
    auto decoded = Base64UrlDecode(req.page_token);
    std::string raw = decoded.ok() ? *decoded : std::string();
    unsigned long long a = 0, h = 0, r = 0;
    if (std::sscanf(raw.c_str(), "v1:%llu:%llu:%llu", &a, &h, &r) != 3 ||
        h != qhash)
      return InvalidParameter("pageToken", "Invalid Value");
    after = a;
    round = r;
  }

  SharedLock lock(mu_);
  QueryContext ctx;
  ctx.root_id = root_id_;
  ctx.me_email = options_.user_email;
  ctx.now_ms = Now();
  ctx.index_lag_ms = options_.index_lag_ms;
  ctx.name_contains = options_.name_contains;
  auto in_corpus = [&](const FileRecord& f) {
    // Roots are not listed; items shared with the user have no parents.
    if (f.parents.empty() && !f.shared_with_me) return false;
    if (!Visible(f, req.scope)) return false;
    if (req.corpora == "drive") return f.drive_id == req.drive_id;
    if (f.drive_id.empty()) return true;
    return req.scope.include_all_drives;
  };
  auto matches = [&](const FileRecord& f) {
    return in_corpus(f) && (!req.q || req.q->Matches(f, ctx));
  };
  if (req.spaces == "appDataFolder") return ListPage{};

  int limit = req.page_size;
  if (req.short_pages) limit = (round % 2 == 0) ? 0 : std::max(1, limit / 2);
  ListPage page;
  auto token = [&](uint64_t pos) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "v1:%llu:%llu:%llu",
                  static_cast<unsigned long long>(pos),
                  static_cast<unsigned long long>(qhash),
                  static_cast<unsigned long long>(round + 1));
    return Base64UrlEncode(buf);
  };

  std::optional<std::string> parent =
      req.q ? req.q->RequiredParent() : std::nullopt;
  if (parent && *parent == "root") parent = root_id_;
  if (req.order.empty() && parent) {
    // Fast path: one folder's children in creation order; the token is the
    // last seq returned, so pages stay consistent under concurrent inserts.
    auto kids = children_.find(*parent);
    if (kids == children_.end()) return page;
    page.files.reserve(std::min<size_t>(limit, kids->second.size()));
    for (auto it = kids->second.upper_bound(after); it != kids->second.end();
         ++it) {
      const FileRecord& f = *it->second;
      if (!matches(f)) continue;
      if (static_cast<int>(page.files.size()) >= limit) {
        page.next_page_token =
            token(page.files.empty() ? after : page.files.back().seq);
        break;
      }
      page.files.push_back(f);
    }
    return page;
  }

  // With an orderBy the token is an offset; in the default order, the last
  // seq returned, so only later items are candidates.
  auto wanted = [&](const FileRecord& f) {
    return (!req.order.empty() || f.seq > after) && matches(f);
  };
  std::vector<const FileRecord*> hits;
  if (parent) {
    if (auto kids = children_.find(*parent); kids != children_.end())
      for (const auto& [seq, f] : kids->second)
        if (wanted(*f)) hits.push_back(f);
  } else {
    for (const auto& [id, f] : files_)
      if (wanted(f)) hits.push_back(&f);
  }
  size_t start = req.order.empty() ? 0 : std::min<size_t>(after, hits.size());
  size_t end = std::min(hits.size(), start + static_cast<size_t>(limit));
  std::vector<std::pair<RecordCompare, bool>> keys;  // comparison, desc
  for (const auto& k : req.order)
    keys.emplace_back(Comparisons().at(k.key), k.desc);
  SortWindow(&hits, start, end, [&](const FileRecord* a, const FileRecord* b) {
    for (const auto& [compare, desc] : keys) {
      int c = compare(*a, *b);
      if (c != 0) return desc ? c > 0 : c < 0;
    }
    return a->seq < b->seq;
  });
  page.files.reserve(end - start);
  for (size_t i = start; i < end; ++i) page.files.push_back(*hits[i]);
  if (end < hits.size())
    page.next_page_token = token(
        req.order.empty() ? (end > start ? hits[end - 1]->seq : after) : end);
  return page;
}

std::vector<SharedDrive> Store::Drives() const {
  SharedLock lock(mu_);
  std::vector<SharedDrive> out;
  for (const auto& [id, d] : drives_) out.push_back(d);
  std::sort(out.begin(), out.end(),
            [](const SharedDrive& a, const SharedDrive& b) {
              return a.created_ms < b.created_ms ||
                     (a.created_ms == b.created_ms && a.id < b.id);
            });
  return out;
}

ApiOr<SharedDrive> Store::GetDrive(const std::string& id) const {
  SharedLock lock(mu_);
  auto it = drives_.find(id);
  if (it == drives_.end()) return DriveNotFound(id);
  return it->second;
}

QuotaView Store::Quota() const {
  SharedLock lock(mu_);
  return QuotaView{options_.quota_limit, usage_, usage_, usage_trash_};
}

std::string Store::StartPageToken() const {
  SharedLock lock(mu_);
  return std::to_string(next_change_);
}

ApiOr<ChangesPage> Store::Changes(const ChangesRequest& req) const {
  uint64_t from = 0;
  if (req.page_token.empty() ||
      !std::all_of(
          req.page_token.begin(), req.page_token.end(),
          [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      req.page_token.size() > 18)
    return InvalidParameter("pageToken", "Invalid Value");
  from = std::stoull(req.page_token);
  if (req.scope.include_all_drives && !req.scope.supports_all_drives)
    return IncludeItemsWithoutSupportsAllDrives();
  SharedLock lock(mu_);
  if (from == 0 || from > next_change_)
    return InvalidParameter("pageToken", "Invalid Value");
  if (!req.drive_id.empty() && !drives_.count(req.drive_id))
    return DriveNotFound(req.drive_id);
  ChangesPage page;
  // Shared items and their descendants are outside the user's My Drive.
  auto in_my_drive = [&](const ChangeEntry& c) {
    const FileRecord* f = c.removed ? nullptr : Find(c.file_id);
    return !f || !f->owned_by_other();
  };
  auto wanted = [&](const ChangeEntry& c) {
    if (c.removed && !req.include_removed) return false;
    if (!req.drive_id.empty()) return c.drive_id == req.drive_id;
    if (c.drive_id.empty()) return !req.restrict_to_my_drive || in_my_drive(c);
    return !req.restrict_to_my_drive && req.scope.include_all_drives;
  };
  auto it = changes_.lower_bound(from);
  for (; it != changes_.end(); ++it) {
    if (!wanted(it->second)) continue;
    if (static_cast<int>(page.changes.size()) >= req.page_size) break;
    ChangeView v{it->second.file_id, it->second.drive_id, it->second.removed,
                 it->second.time_ms, std::nullopt};
    if (!v.removed) {
      if (const FileRecord* f = Find(v.file_id)) v.file = *f;
    }
    page.changes.push_back(std::move(v));
  }
  if (it != changes_.end())
    page.next_page_token = std::to_string(it->first);
  else
    page.new_start_page_token = std::to_string(next_change_);
  return page;
}

std::vector<std::string> Store::GenerateIds(int count) {
  Lock lock(mu_);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(NewId());
    generated_ids_.insert(out.back());
  }
  return out;
}

}  // namespace gdmount::emulator
