#include "daemon/prefetch_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/control_socket.h"
#include "util/mountinfo.h"

namespace gdmount::daemon {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kReaders = 4;  // files read at once (small files are latency)

struct Item {
  std::string path;
  int64_t size;
};

// The gdmount mount holding `path` ("" if none): the longest fuse.gdmount
// mount point that is a prefix of it.
std::string GdmountMountOf(const std::string& path) {
  std::string best;
  for (const util::MountEntry& e : util::ReadMountTable()) {
    if (e.type != "fuse.gdmount") continue;
    if ((path == e.point || path.rfind(e.point + "/", 0) == 0) &&
        e.point.size() > best.size())
      best = e.point;
  }
  return best;
}

std::string MiB(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB",
                static_cast<double>(bytes) / (1 << 20));
  return buf;
}

// Reads `path` to the end; false (with errno's text in *why) on failure.
bool ReadWhole(const std::string& path, std::vector<char>* buf,
               std::atomic<int64_t>* done, std::string* why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::strerror(errno);
    return false;
  }
  while (true) {
    ssize_t n = ::read(fd, buf->data(), buf->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    *done += n;
  }
  ::close(fd);
  return true;
}

}  // namespace

const char kPrefetchHelp[] =
    "Usage: gdmount prefetch PATH...\n"
    "\n"
    "Reads every file under each PATH (recursively) through its gdmount\n"
    "mount, so later reads come from the local cache: a dataset folder\n"
    "before training, say. Shows files, bytes, rate and time left. Stops\n"
    "at the cache budget (--cache-budget of the mount) and says so when\n"
    "the files do not fit.\n"
    "\n"
    "Exit status: 0, 1 when a PATH is not in a gdmount mount or a file\n"
    "could not be read.\n";

OptionSpec PrefetchOptions() { return {}; }

int RunPrefetch(const CommandLine& cl, std::ostream& out, std::ostream& err) {
  if (cl.positional.empty()) {
    err << "gdmount prefetch: expected PATH...; see gdmount help prefetch\n";
    return 2;
  }
  std::vector<Item> items;
  int64_t total = 0;
  int64_t budget = -1, cached = 0, max_files = -1;
  for (const std::string& arg : cl.positional) {
    std::error_code ec;
    const std::string path = fs::absolute(arg, ec).lexically_normal().string();
    const std::string mount = GdmountMountOf(path);
    if (mount.empty()) {
      err << "gdmount prefetch: " << arg
          << " is not inside a gdmount mount (`gdmount status` lists them)\n";
      return 1;
    }
    if (budget < 0) {
      auto socket = ControlSocketPath(mount);
      auto answer = socket.ok() ? ControlRequest(*socket, "status")
                                : Result<std::string>(socket.status());
      if (answer.ok()) {
        auto j = nlohmann::json::parse(*answer, nullptr, false);
        if (j.is_object() && j.contains("cache")) {
          budget = j["cache"].value("budget", int64_t{-1});
          cached = j["cache"].value("bytes", int64_t{0});
          max_files = j["cache"].value("max_files", int64_t{-1});
        }
      }
    }
    auto add = [&](const fs::path& p) {
      std::error_code e;
      if (!fs::is_regular_file(fs::symlink_status(p, e))) return;
      const int64_t size = static_cast<int64_t>(fs::file_size(p, e));
      if (e) return;
      items.push_back({p.string(), size});
      total += size;
    };
    if (fs::is_directory(fs::symlink_status(path, ec))) {
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        add(it->path());
    } else {
      add(path);
    }
  }
  // What fits: the budget, less what other files hold, is a ceiling; the
  // cache evicts least recently used chunks, so reading past it would
  // push out the first files read.
  size_t count = items.size();
  int64_t planned = total;
  if (budget > 0 && total > budget) {
    planned = 0;
    count = 0;
    while (count < items.size() && planned + items[count].size <= budget)
      planned += items[count++].size;
    err << "gdmount prefetch: the files hold " << MiB(total)
        << ", more than the cache budget of " << MiB(budget)
        << " (it already holds " << MiB(cached) << "); prefetching the first "
        << count << " of " << items.size()
        << " files. Raise --cache-budget on the mount to keep them all.\n";
  }
  // And the cache holds at most max_files files, whatever their sizes.
  if (max_files > 0 && count > static_cast<size_t>(max_files)) {
    err << "gdmount prefetch: " << count
        << " files are more than the cache holds (cache_max_files " << max_files
        << "); prefetching the first " << max_files
        << ". Raise --cache-max-files on the mount to keep them all.\n";
    count = static_cast<size_t>(max_files);
    planned = 0;
    for (size_t i = 0; i < count; ++i) planned += items[i].size;
  }
  std::atomic<size_t> next{0}, files_done{0};
  std::atomic<int64_t> bytes_done{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  const auto start = Clock::now();
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      std::vector<char> buf(1 << 20);
      for (size_t i; (i = next++) < count;) {
        std::string why;
        if (!ReadWhole(items[i].path, &buf, &bytes_done, &why)) {
          std::lock_guard<std::mutex> lock(failures_mu);
          failures.push_back(items[i].path + ": " + why);
        }
        ++files_done;
      }
    });
  }
  const bool tty = ::isatty(STDOUT_FILENO);
  auto progress = [&](bool final_line) {
    const double secs =
        std::chrono::duration<double>(Clock::now() - start).count();
    const int64_t done = bytes_done.load();
    const double rate = secs > 0 ? done / secs : 0;
    std::ostringstream line;
    line << files_done.load() << "/" << count << " files, " << MiB(done)
         << " of " << MiB(planned) << ", " << MiB(static_cast<int64_t>(rate))
         << "/s";
    if (!final_line && rate > 0)
      line << ", " << static_cast<int64_t>((planned - done) / rate)
           << " s left";
    if (tty) {
      out << "\r" << line.str() << "   " << (final_line ? "\n" : "")
          << std::flush;
    } else {
      out << line.str() << "\n";
    }
  };
  auto last_line = Clock::now();
  while (files_done.load() < count) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (tty || Clock::now() - last_line > std::chrono::seconds(5)) {
      progress(false);
      last_line = Clock::now();
    }
  }
  for (auto& t : readers) t.join();
  progress(true);
  for (const std::string& f : failures)
    err << "gdmount prefetch: could not read " << f << "\n";
  out << "prefetched " << count - failures.size() << " file(s), "
      << MiB(bytes_done.load()) << "\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace gdmount::daemon
