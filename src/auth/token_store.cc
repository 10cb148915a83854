#include "auth/token_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "gdmount/random.h"
#include "util/encoding.h"

namespace gdmount::auth {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxAccountName = 64;
constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
// A token file is ~1 KiB; a huge one is not ours.
constexpr size_t kMaxTokenFileBytes = 1 << 20;
// Temp-name collisions need a 64-bit random clash; retry a few anyway.
constexpr int kTempNameAttempts = 4;

// The string members, by their JSON names.
struct StringField {
  const char* name;
  std::string StoredCredentials::*member;
};
constexpr StringField kStringFields[] = {
    {"client_id", &StoredCredentials::client_id},
    {"client_secret", &StoredCredentials::client_secret},
    {"refresh_token", &StoredCredentials::refresh_token},
    {"access_token", &StoredCredentials::access_token},
    {"scope", &StoredCredentials::scope},
    {"token_url", &StoredCredentials::token_url},
    {"key_file", &StoredCredentials::key_file},
    {"subject", &StoredCredentials::subject},
};

Status Errno(const std::string& what, const std::string& path) {
  return IoError(what + " " + path + ": " + std::strerror(errno));
}

bool IsValidAccountName(const std::string& a) {
  if (a.empty() || a.size() > kMaxAccountName || a[0] == '.') return false;
  for (char c : a) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// mkdir -p with mode 0700 for every directory it creates; `dir` itself is
// tightened to 0700 if it already existed with a looser mode.
Status EnsurePrivateDir(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    std::string prefix = dir.substr(0, i);
    if (mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST) {
      return Errno("cannot create directory", prefix);
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return Errno("cannot stat", dir);
  if (!S_ISDIR(st.st_mode)) return IoError(dir + " is not a directory");
  if ((st.st_mode & 077) != 0 && chmod(dir.c_str(), kDirMode) != 0) {
    return Errno("cannot chmod 700", dir);
  }
  return Status::Ok();
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Opens a fresh temp file next to the target (same filesystem, so the
// rename is atomic). Returns -1 with errno set on failure.
int OpenTemp(const std::string& dir, std::string* tmp_path) {
  for (int attempt = 0; attempt < kTempNameAttempts; ++attempt) {
    uint64_t r = SecureRandom()->Next64();
    *tmp_path = dir + "/.token.json.tmp-" +
                util::HexEncode(std::string_view(
                    reinterpret_cast<const char*>(&r), sizeof r));
    int fd = open(tmp_path->c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                  kFileMode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

Status WriteAtomically(const std::string& dir, const std::string& path,
                       const std::string& data) {
  std::string tmp;
  int fd = OpenTemp(dir, &tmp);
  if (fd < 0) return Errno("cannot create a temp file in", dir);
  bool ok = WriteAll(fd, data) && fsync(fd) == 0;
  int saved = errno;
  ok = close(fd) == 0 && ok;
  if (ok && rename(tmp.c_str(), path.c_str()) == 0) {
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    // The rename is durable only once the directory is synced.
    bool synced = dfd >= 0 && fsync(dfd) == 0;
    if (dfd >= 0) close(dfd);
    return synced ? Status::Ok() : Errno("cannot fsync directory", dir);
  }
  if (ok) saved = errno;
  unlink(tmp.c_str());
  errno = saved;
  return Errno("cannot write", path);
}

json ToJson(const StoredCredentials& c) {
  json j = {{"type", c.type}};
  for (const StringField& f : kStringFields) {
    if (!(c.*f.member).empty()) j[f.name] = c.*f.member;
  }
  if (c.expiry_ms != 0) j["expiry_ms"] = c.expiry_ms;
  return j;
}

Status Corrupt(const std::string& path, const std::string& why) {
  return Status(StatusCode::kCorruption,
                path + " is corrupted (" + why +
                    "): delete it and run `gdmount auth` again");
}

Result<StoredCredentials> FromJson(const json& j, const std::string& path) {
  if (!j.is_object()) return Corrupt(path, "not a JSON object");
  StoredCredentials c;
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return Corrupt(path, "no type");
  c.type = type->get<std::string>();
  for (const StringField& f : kStringFields) {
    auto it = j.find(f.name);
    if (it == j.end()) continue;
    if (!it->is_string()) return Corrupt(path, std::string(f.name) + " type");
    c.*f.member = it->get<std::string>();
  }
  auto expiry = j.find("expiry_ms");
  if (expiry != j.end()) {
    if (!expiry->is_number_integer()) return Corrupt(path, "expiry_ms type");
    c.expiry_ms = expiry->get<int64_t>();
  }
  if (c.type == kAuthorizedUser) {
    if (c.client_id.empty() || c.refresh_token.empty()) {
      return Corrupt(path, "no client_id or refresh_token");
    }
  } else if (c.type == kServiceAccount) {
    if (c.key_file.empty()) return Corrupt(path, "no key_file");
  } else {
    return Corrupt(path, "unknown type");
  }
  return c;
}

// Reads `path` if it is a regular file private to its owner.
Result<std::string> ReadPrivateFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return NotFoundError("not signed in: run `gdmount auth` (no " + path +
                           ")");
    }
    return Errno("cannot open", path);
  }
  struct stat st;
  Status s;
  std::string data;
  if (fstat(fd, &st) != 0) {
    s = Errno("cannot stat", path);
  } else if (!S_ISREG(st.st_mode)) {
    s = IoError(path + " is not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    s = Status(StatusCode::kPermissionDenied,
               path + " holds secrets but other users can access it (mode " +
                   mode + "): run `chmod 600 " + path + "`");
  } else if (static_cast<uint64_t>(st.st_size) > kMaxTokenFileBytes) {
    s = Corrupt(path, "too large");
  } else {
    data.resize(static_cast<size_t>(st.st_size));
    ssize_t n = pread(fd, data.data(), data.size(), 0);
    if (n < 0) s = Errno("cannot read", path);
    data.resize(n < 0 ? 0 : static_cast<size_t>(n));
  }
  close(fd);
  if (!s.ok()) return s;
  return data;
}

}  // namespace

Result<std::string> AccountConfigDir(const std::string& account) {
  if (!IsValidAccountName(account)) {
    return InvalidArgumentError(
        "invalid account name \"" + account.substr(0, kMaxAccountName) +
        "\": use 1-64 of [A-Za-z0-9._-], not starting with '.'");
  }
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/gdmount/" + account;
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return std::string(home) + "/.config/gdmount/" + account;
  }
  return InvalidArgumentError(
      "cannot find the config directory: set HOME or XDG_CONFIG_HOME");
}

TokenStore::TokenStore(std::string dir)
    : dir_(std::move(dir)), path_(dir_ + "/token.json") {}

Status TokenStore::Save(const StoredCredentials& creds) {
  if (creds.type != kAuthorizedUser && creds.type != kServiceAccount) {
    return InvalidArgumentError("unknown credentials type \"" +
                                creds.type.substr(0, 40) + "\"");
  }
  Status s = EnsurePrivateDir(dir_);
  if (!s.ok()) return s;
  std::string text =
      ToJson(creds).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return WriteAtomically(dir_, path_, text);
}

Result<StoredCredentials> TokenStore::Load() const {
  Result<std::string> text = ReadPrivateFile(path_);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Corrupt(path_, "not valid JSON");
  return FromJson(j, path_);
}

}  // namespace gdmount::auth
