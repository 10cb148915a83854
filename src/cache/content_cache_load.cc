// ContentCache: reloading what a previous run cached. Each "<name>.map"
// that decodes, matches its name, uses the current chunk size and has a
// "<name>.data" of the recorded size becomes an entry with its present
// chunks; everything else in the directory (stray data files, tmp maps,
// maps from another chunk size, files past max_files) is deleted. Runs
// before the cache is shared, but takes mu_ anyway for the index updates.
#include <errno.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "cache/content_cache.h"
#include "gdmount/log.h"

namespace gdmount::cache {
namespace {

// A map is one bit per chunk plus a few lines; anything bigger than this is
// not one of ours (8 MiB chunks: enough for files of ~2 PiB).
constexpr int64_t kMaxMapBytes = 64 << 20;
constexpr size_t kNameLength = 64;  // hex SHA-256
constexpr const char kLockFile[] = "lock";

bool IsEntryName(const std::string& s) {
  return s.size() == kNameLength && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Stems of "<64 hex>.map" files, and every regular file name.
Status ListDir(const std::string& dir, std::vector<std::string>* stems,
               std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;  // never touch subdirs
    std::string name = it->path().filename().string();
    files->push_back(name);
    constexpr std::string_view kSuffix = ".map";
    if (name.size() == kNameLength + kSuffix.size() &&
        name.compare(kNameLength, kSuffix.size(), kSuffix) == 0 &&
        IsEntryName(name.substr(0, kNameLength))) {
      stems->push_back(name.substr(0, kNameLength));
    }
  }
  if (ec) return IoError("list cache dir: " + ec.message());
  return Status::Ok();
}

}  // namespace

Status ContentCache::LoadExisting() {
  std::vector<std::string> stems, files;
  Status s = ListDir(options_.dir, &stems, &files);
  if (!s.ok()) return s;
  // Only the newest max_files come back (each holds its file open); the
  // rest are deleted with the strays below, before any of them is opened.
  if (static_cast<int64_t>(stems.size()) > options_.max_files) {
    std::vector<std::pair<int64_t, std::string>> by_age;
    for (const std::string& stem : stems) {
      struct stat st;
      if (stat(PathOf(stem, ".map").c_str(), &st) != 0) continue;
      by_age.emplace_back(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                              st.st_mtim.tv_nsec,
                          stem);
    }
    const size_t keep = static_cast<size_t>(options_.max_files);
    if (by_age.size() > keep) {
      std::nth_element(
          by_age.begin(), by_age.begin() + static_cast<ptrdiff_t>(keep),
          by_age.end(), [](const auto& a, const auto& b) { return a > b; });
      by_age.resize(keep);
    }
    GDMOUNT_LOG(kInfo) << "cache: keeping the " << by_age.size()
                       << " most recently used of " << stems.size()
                       << " cached files (max_files)";
    stems.clear();
    for (auto& [mtime, stem] : by_age) stems.push_back(std::move(stem));
  }
  std::vector<std::pair<int64_t, EntryPtr>> loaded;
  for (const std::string& stem : stems) {
    int64_t mtime = 0;
    EntryPtr e;
    s = LoadEntry(stem, &mtime, &e);
    if (s.ok()) {
      loaded.emplace_back(mtime, std::move(e));
    } else {
      GDMOUNT_LOG(kInfo) << "cache: discarding " << stem << ": "
                         << s.ToString();
    }
  }
  // Oldest first, so the newest file's chunks end up most recently used
  // and, of two versions of one id, the newer one survives.
  std::sort(loaded.begin(), loaded.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [mtime, e] : loaded) {
      DropOtherVersionsLocked(e->key.id, e->name);
      entries_.emplace(e->name, e);
      names_by_id_[e->key.id].insert(e->name);
      bytes_cached_ += e->present_bytes;
      for (int64_t i = 0; i < e->num_chunks(); ++i) {
        if (e->chunks[i].state == ChunkState::kPresent) {
          AddToLruLocked(e.get(), i);
        }
      }
    }
    for (const std::string& file : files) {
      std::string stem = file.substr(0, std::min(file.size(), kNameLength));
      std::string rest = file.substr(stem.size());
      bool ours =
          entries_.count(stem) > 0 && (rest == ".map" || rest == ".data");
      if (!ours && file != kLockFile) {
        (void)RemoveFile(options_.dir + "/" + file);
      }
    }
  }
  EvictIfNeeded();  // the budget may have shrunk since the last run
  return Status::Ok();
}

Status ContentCache::LoadEntry(const std::string& name, int64_t* mtime,
                               EntryPtr* out) {
  const std::string map_path = PathOf(name, ".map");
  struct stat st;
  if (stat(map_path.c_str(), &st) != 0) return ErrnoError("stat map", errno);
  *mtime =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  Result<std::string> text = ReadWholeFile(map_path, kMaxMapBytes);
  if (!text.ok()) return text.status();
  Result<ChunkMapRecord> r = DecodeChunkMap(*text);
  if (!r.ok()) return r.status();
  if (r->chunk_size != options_.chunk_size) {
    return InvalidArgumentError("cached with another chunk size");
  }
  if (EntryName(r->id, r->version) != name) {
    return Status(StatusCode::kCorruption, "map does not match its name");
  }
  FileKey key{r->id, r->version, r->size, r->md5};
  Result<CacheFile> file =
      CacheFile::OpenExisting(PathOf(name, ".data"), key.size);
  if (!file.ok()) return file.status();
  auto e = std::make_shared<CacheEntry>(key, name, options_.chunk_size,
                                        std::move(file).value());
  for (int64_t i = 0; i < e->num_chunks(); ++i) {
    if (!r->present[static_cast<size_t>(i)]) continue;
    e->chunks[i].state = ChunkState::kPresent;
    ++e->present_chunks;
    e->present_bytes += e->ChunkLength(i);
  }
  e->verified = r->verified && e->complete();
  *out = std::move(e);
  return Status::Ok();
}

}  // namespace gdmount::cache
