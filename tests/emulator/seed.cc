#include "tests/emulator/seed.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "tests/emulator/blob.h"
#include "tests/emulator/timefmt.h"

namespace gdmount::emulator {
namespace fs = std::filesystem;
namespace {

const std::map<std::string, std::string>& NativeSuffixes() {
  static const std::map<std::string, std::string> kSuffixes = {
      {".gdoc", "application/vnd.google-apps.document"},
      {".gsheet", "application/vnd.google-apps.spreadsheet"},
      {".gslides", "application/vnd.google-apps.presentation"},
      {".gdraw", "application/vnd.google-apps.drawing"}};
  return kSuffixes;
}

struct Sidecar {
  std::map<std::string, std::string> names, mime_types, modified;
  std::set<std::string> trashed, readonly;
};

std::string Normalize(std::string p) {
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

Result<Sidecar> ReadSidecar(const fs::path& dir) {
  Sidecar sc;
  std::ifstream in(dir / ".emulator.json");
  if (!in) return sc;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgumentError((dir / ".emulator.json").string() +
                                " is not a JSON object");
  auto map_of = [&](const char* key,
                    std::map<std::string, std::string>* out) -> bool {
    if (!j.contains(key)) return true;
    if (!j[key].is_object()) return false;
    for (auto it = j[key].begin(); it != j[key].end(); ++it) {
      if (!it.value().is_string()) return false;
      (*out)[Normalize(it.key())] = it.value().get<std::string>();
    }
    return true;
  };
  auto set_of = [&](const char* key, std::set<std::string>* out) -> bool {
    if (!j.contains(key)) return true;
    if (!j[key].is_array()) return false;
    for (const auto& v : j[key]) {
      if (!v.is_string()) return false;
      out->insert(Normalize(v.get<std::string>()));
    }
    return true;
  };
  if (!map_of("names", &sc.names) || !map_of("mime_types", &sc.mime_types) ||
      !map_of("modified", &sc.modified) || !set_of("trashed", &sc.trashed) ||
      !set_of("readonly", &sc.readonly))
    return InvalidArgumentError(".emulator.json: bad value types");
  return sc;
}

int64_t MtimeMs(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 +
         st.st_mtim.tv_nsec / 1000000;
}

class Seeder {
 public:
  Seeder(fs::path root, Store* store, Journal* journal, Sidecar sc)
      : root_(std::move(root)),
        store_(store),
        journal_(journal),
        sc_(std::move(sc)) {}

  Status Walk(const fs::path& dir, const std::string& parent_id) {
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e);
    if (ec) return IoError("cannot read " + dir.string() + ": " + ec.message());
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path() < b.path(); });
    for (const auto& e : entries) {
      // Lexical: fs::relative() would resolve a symlink to its target.
      std::string rel = e.path().lexically_relative(root_).generic_string();
      if (rel == ".emulator.json" || rel == ".drives" || rel == ".shared")
        continue;
      if (Status s = Add(e, rel, parent_id); !s.ok()) return s;
    }
    return Status();
  }

  Status SeedDrives() {
    fs::path drives = root_ / ".drives";
    std::error_code ec;
    if (!fs::is_directory(drives, ec)) return Status();
    std::vector<fs::path> names;
    for (const auto& e : fs::directory_iterator(drives, ec))
      if (e.is_directory()) names.push_back(e.path());
    std::sort(names.begin(), names.end());
    for (const auto& d : names) {
      std::string id = store_->SeedSharedDrive(d.filename().string());
      ids_[d.lexically_relative(root_).generic_string()] = id;
      if (Status s = Walk(d, id); !s.ok()) return s;
    }
    return Status();
  }

  // .shared/ENTRY: a colleague's item shared with the user, without parents;
  // what is inside a shared folder keeps its parents and is not itself
  // sharedWithMe. All of it is the colleague's and read-only.
  Status SeedShared() {
    fs::path shared = root_ / ".shared";
    std::error_code ec;
    if (!fs::is_directory(shared, ec)) return Status();
    in_shared_ = true;
    Status s = Walk(shared, /*parent_id=*/"");
    in_shared_ = false;
    return s;
  }

  // Shortcuts point at paths; resolve them once everything exists.
  Status ResolveShortcuts() {
    for (const auto& [id, target] : shortcuts_) {
      auto it = ids_.find(Normalize(target));
      if (it == ids_.end())
        return InvalidArgumentError("shortcut target not in the seed: " +
                                    target);
      std::string target_id = it->second;
      auto target_rec = store_->Get(target_id, Scope{true, true});
      std::string mime = target_rec.ok() ? target_rec->mime_type : "";
      store_->SeedPatch(id, [&](FileRecord& f) {
        f.shortcut_target_id = target_id;
        f.shortcut_target_mime_type = mime;
      });
    }
    return Status();
  }

  Status ApplyFlags() {
    for (const auto& p : sc_.trashed) {
      auto it = ids_.find(p);
      if (it == ids_.end())
        return InvalidArgumentError(".emulator.json trashed: no " + p);
      std::string top = it->second;
      store_->SeedPatch(
          top, [](FileRecord& f) { f.trashed = f.explicitly_trashed = true; });
      for (const auto& [path, id] : ids_)  // descendants: implicitly trashed
        if (path.rfind(p + "/", 0) == 0)
          store_->SeedPatch(id, [](FileRecord& f) { f.trashed = true; });
    }
    for (const auto& p : sc_.readonly) {
      auto it = ids_.find(p);
      if (it == ids_.end())
        return InvalidArgumentError(".emulator.json readonly: no " + p);
      store_->SeedPatch(it->second, [](FileRecord& f) { f.read_only = true; });
    }
    return Status();
  }

 private:
  Status Add(const fs::directory_entry& e, const std::string& rel,
             const std::string& parent_id) {
    FileRecord rec;
    std::string base = e.path().filename().string();
    rec.modified_ms = MtimeMs(e.path());
    if (auto m = sc_.modified.find(rel); m != sc_.modified.end()) {
      auto t = ParseRfc3339(m->second);
      if (!t)
        return InvalidArgumentError(".emulator.json modified: bad time for " +
                                    rel);
      rec.modified_ms = *t;
    }
    std::error_code ec;
    if (e.is_symlink(ec)) {
      fs::path target = fs::read_symlink(e.path(), ec);
      fs::path abs =
          target.is_absolute() ? target : e.path().parent_path() / target;
      rec.name = base;
      rec.mime_type = kShortcutMime;
      return Finish(rec, rel, parent_id,
                    abs.lexically_normal()
                        .lexically_relative(root_.lexically_normal())
                        .generic_string());
    }
    if (e.is_directory(ec)) {
      rec.name = base;
      rec.mime_type = kFolderMime;
      Rename(rel, &rec);
      std::string id = SeedItem(parent_id, std::move(rec));
      ids_[rel] = id;
      return Walk(e.path(), id);
    }
    std::string ext = e.path().extension().string();
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
      return IoError("cannot read " + e.path().string());
    if (auto n = NativeSuffixes().find(ext); n != NativeSuffixes().end()) {
      rec.name = e.path().stem().string();
      rec.mime_type = n->second;
      rec.native_text = std::make_shared<const std::string>(std::move(bytes));
    } else if (ext == ".gshortcut") {
      rec.name = e.path().stem().string();
      rec.mime_type = kShortcutMime;
      std::string target = bytes.substr(0, bytes.find_first_of("\r\n"));
      return Finish(rec, rel, parent_id, target);
    } else {
      rec.name = base;
      auto w = BlobWriter::Open(journal_->NewBlobPath(), false);
      if (!w.ok()) return w.status();
      if (Status s = (*w)->Append(bytes.data(), bytes.size()); !s.ok())
        return s;
      auto blob = (*w)->Finish(false);
      if (!blob.ok()) return blob.status();
      rec.content = blob.value();
      rec.mime_type = GuessMime(base);
    }
    return Finish(rec, rel, parent_id, "");
  }

  Status Finish(FileRecord rec, const std::string& rel,
                const std::string& parent_id,
                const std::string& shortcut_target) {
    Rename(rel, &rec);
    if (auto m = sc_.mime_types.find(rel); m != sc_.mime_types.end())
      rec.mime_type = m->second;
    std::string id = SeedItem(parent_id, std::move(rec));
    ids_[rel] = id;
    if (!shortcut_target.empty()) shortcuts_.emplace_back(id, shortcut_target);
    return Status();
  }

  // Under .shared/ the colleague owns the item; at its top it is shared.
  std::string SeedItem(const std::string& parent_id, FileRecord rec) {
    if (in_shared_) {
      rec.owner_email = kColleagueEmail;
      rec.owner_name = kColleagueName;
      rec.read_only = true;
      rec.shared_with_me = parent_id.empty();
    }
    return store_->SeedFile(parent_id, std::move(rec));
  }

  void Rename(const std::string& rel, FileRecord* rec) {
    if (auto n = sc_.names.find(rel); n != sc_.names.end())
      rec->name = n->second;
  }

  static std::string GuessMime(const std::string& name) {
    static const std::map<std::string, std::string> kTypes = {
        {".txt", "text/plain"},        {".csv", "text/csv"},
        {".json", "application/json"}, {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},       {".png", "image/png"},
        {".pdf", "application/pdf"},   {".md", "text/markdown"},
        {".html", "text/html"},        {".zip", "application/zip"},
        {".py", "text/x-python"},      {".gz", "application/gzip"}};
    std::string ext = fs::path(name).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    auto it = kTypes.find(ext);
    return it == kTypes.end() ? "application/octet-stream" : it->second;
  }

  fs::path root_;
  Store* store_;
  Journal* journal_;
  Sidecar sc_;
  std::map<std::string, std::string> ids_;  // relative path -> id
  std::vector<std::pair<std::string, std::string>> shortcuts_;
  bool in_shared_ = false;  // walking .shared/
};

uint64_t PathSeed(const std::string& path) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : path) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

Result<int64_t> ParseSize(const std::string& text) {
  if (text.empty()) return InvalidArgumentError("empty size");
  size_t i = 0;
  int64_t v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (v > (INT64_MAX - 9) / 10)
      return InvalidArgumentError("size too large: " + text);
    v = v * 10 + (text[i++] - '0');
  }
  if (i == 0) return InvalidArgumentError("bad size: " + text);
  std::string unit = text.substr(i);
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KiB" || unit == "k")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (unit == "T" || unit == "TiB")
    shift = 40;
  else
    return InvalidArgumentError("bad size unit in '" + text + "' (K, M, G, T)");
  if (shift && v > (INT64_MAX >> shift))
    return InvalidArgumentError("size too large: " + text);
  return v << shift;
}

Status SeedFromDirectory(const std::string& dir, Store* store,
                         Journal* journal) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return InvalidArgumentError("--seed: not a directory: " + dir);
  auto sc = ReadSidecar(dir);
  if (!sc.ok()) return sc.status();
  Seeder seeder(dir, store, journal, std::move(sc.value()));
  if (Status s = seeder.Walk(dir, store->root_id()); !s.ok()) return s;
  if (Status s = seeder.SeedDrives(); !s.ok()) return s;
  if (Status s = seeder.SeedShared(); !s.ok()) return s;
  if (Status s = seeder.ResolveShortcuts(); !s.ok()) return s;
  return seeder.ApplyFlags();
}

Status GenerateFromSpec(const std::string& spec, Store* store) {
  std::map<std::string, std::string> folders;  // path -> id
  folders[""] = store->root_id();
  auto folder_for = [&](const std::string& path) {
    std::string cur;
    std::string parent = store->root_id();
    std::stringstream ss(path);
    for (std::string part; std::getline(ss, part, '/');) {
      if (part.empty()) continue;
      cur += (cur.empty() ? "" : "/") + part;
      auto it = folders.find(cur);
      if (it == folders.end())
        it = folders.emplace(cur, store->SeedFolder(parent, part)).first;
      parent = it->second;
    }
    return parent;
  };
  std::stringstream items(spec);
  for (std::string item; std::getline(items, item, ',');) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return InvalidArgumentError("--generate item '" + item +
                                  "': expected PATH=SIZE or DIR/=NxSIZE");
    std::string path = item.substr(0, eq), what = item.substr(eq + 1);
    size_t x = what.find('x');
    if (path.back() == '/') {
      if (x == std::string::npos)
        return InvalidArgumentError("--generate item '" + item +
                                    "': DIR/ needs COUNTxSIZE");
      auto count = ParseSize(what.substr(0, x));
      auto size = ParseSize(what.substr(x + 1));
      if (!count.ok()) return count.status();
      if (!size.ok()) return size.status();
      std::string parent = folder_for(path);
      for (int64_t i = 1; i <= *count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%06lld.bin",
                      static_cast<long long>(i));
        FileRecord rec;
        rec.name = name;
        rec.mime_type = "application/octet-stream";
        rec.content =
            std::make_shared<SyntheticBlob>(PathSeed(path + name), *size);
        store->SeedFile(parent, std::move(rec));
      }
    } else {
      auto size = ParseSize(what);
      if (!size.ok()) return size.status();
      size_t slash = path.rfind('/');
      std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
      FileRecord rec;
      rec.name = path.substr(slash == std::string::npos ? 0 : slash + 1);
      rec.mime_type = "application/octet-stream";
      rec.content = std::make_shared<SyntheticBlob>(PathSeed(path), *size);
      store->SeedFile(folder_for(dir), std::move(rec));
    }
  }
  return Status();
}

}  // namespace gdmount::emulator
