#include "daemon/mount_command.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "auth/token_store.h"
#include "cache/content_cache.h"
#include "cache/uploader.h"
#include "cache/write_back.h"
#include "daemon/control_socket.h"
#include "daemon/daemonize.h"
#include "daemon/interrupts.h"
#include "daemon/memory_returner.h"
#include "daemon/mount_checks.h"
#include "daemon/sd_notify.h"
#include "daemon/status_report.h"
#include "daemon/wiring.h"
#include "fuse/fuse_frontend.h"
#include "gdmount/log.h"
#include "meta/metadata_store.h"
#include "vfs/change_feed.h"
#include "vfs/filesystem.h"
#include "vfs/root_resolver.h"

namespace gdmount::daemon {
namespace {

// $VAR/gdmount/ACCOUNT, or $HOME/fallback/gdmount/ACCOUNT; made 0700.
Result<std::string> PrivateDir(const char* var, const char* fallback,
                               const std::string& account) {
  const char* base = std::getenv(var);
  std::string root =
      base && *base
          ? base
          : std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") +
                "/" + fallback;
  std::string dir = root + "/gdmount/" + account;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  if (chmod(dir.c_str(), 0700) != 0) return IoError("cannot chmod 0700 " + dir);
  return dir;
}

// One database per root, so every root keeps its own stable inode numbers:
// meta.db for My Drive, roots/ID.db for a shared drive or folder.
Result<std::string> MetadataPath(const std::string& state,
                                 const vfs::RootSpec& spec,
                                 const drive::DriveFile& root) {
  if (spec.is_default()) return state + "/meta.db";
  bool safe = !root.id.empty();
  for (char c : root.id)
    safe = safe && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                    c == '_');
  if (!safe)
    return InvalidArgumentError("unexpected folder id '" + root.id + "'");
  std::string dir = state + "/roots";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  return dir + "/" + root.id + ".db";
}

// Applies "-o a,b=c" mount options.
Status ParseMountOptions(const std::string& text, fuse::MountOptions* m,
                         vfs::FsOptions* fs, bool* read_only) {
  std::stringstream in(text);
  std::string opt;
  while (std::getline(in, opt, ',')) {
    auto eq = opt.find('=');
    std::string key = opt.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    char* end = nullptr;
    if (key == "allow_other") {
      m->allow_other = true;
    } else if (key == "debug") {
      m->debug = true;
    } else if (key == "ro") {
      *read_only = true;
    } else if (key == "nonempty") {
      m->nonempty = true;
    } else if (key == "rw" || key.empty()) {
    } else if (key == "uid" || key == "gid") {
      unsigned long v = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end)
        return InvalidArgumentError("-o " + opt + ": not a number");
      (key == "uid" ? fs->uid : fs->gid) = static_cast<uint32_t>(v);
    } else if (key == "umask") {
      unsigned long v = std::strtoul(value.c_str(), &end, 8);
      if (value.empty() || *end || v > 0777)
        return InvalidArgumentError("-o " + opt + ": not an octal umask");
      fs->umask = static_cast<mode_t>(v);
    } else {
      return InvalidArgumentError("unknown mount option '" + key + "'");
    }
  }
  return Status::Ok();
}

// While alive, warnings and errors logged are also kept for `gdmount
// status` (the sink before it still gets every message).
class RecordWarnings {
 public:
  explicit RecordWarnings(RecentErrors* into) {
    log::Sink previous = log::SetSink(nullptr);
    log::SetSink([into, previous](log::Level level, const std::string& m) {
      if (level <= log::Level::kWarning) into->Add(UnixMillis(RealClock()), m);
      if (previous) {
        previous(level, m);
      } else {
        log::StderrSink(level, m);
      }
    });
    previous_ = std::move(previous);
  }
  ~RecordWarnings() { log::SetSink(std::move(previous_)); }
  RecordWarnings(const RecordWarnings&) = delete;
  RecordWarnings& operator=(const RecordWarnings&) = delete;

 private:
  log::Sink previous_;
};

// What `gdmount unmount` asked for and learns at the end: --no-wait, and
// how many uploads were left when the daemon stopped waiting.
struct UnmountFollowers {
  std::atomic<bool> no_wait{false};
  std::atomic<bool> followed{false};  // an unmount client follows the drain
  std::atomic<int64_t> left{-1};      // set once the drain is over
  std::atomic<bool> told{false};

  void AddOutcome(nlohmann::json* status) {
    const int64_t n = left.load();
    if (n < 0) return;
    (*status)["final_left"] = n;
    told = true;
  }
  // The drain is over: a following client gets a moment (bounded) to read
  // the outcome before the socket goes.
  void Finish(int64_t n) {
    left = n;
    if (!followed) return;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!told && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
};

// Descriptors left for everything but cached files: FUSE, sockets to
// Drive, SQLite, staging files, files the kernel has open through us.
constexpr int64_t kDescriptorsForTheRest = 512;

// The content cache keeps one descriptor per cached file. Raises the soft
// limit on open files to the hard one (systemd's default soft limit is
// 1024) and returns how many files the cache may hold within it.
int64_t CacheFilesWithinLimit(int64_t wanted) {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return wanted;
  if (rl.rlim_cur < rl.rlim_max) {
    struct rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return wanted;
  const int64_t room =
      static_cast<int64_t>(rl.rlim_cur) - kDescriptorsForTheRest;
  const int64_t fits = std::max<int64_t>(16, room);
  if (fits >= wanted) return wanted;
  GDMOUNT_LOG(kInfo) << "the content cache holds at most " << fits
                     << " files (not cache_max_files " << wanted
                     << "): the limit on open files is " << rl.rlim_cur
                     << " (ulimit -n, LimitNOFILE=)";
  return fits;
}

// After the unmount: uploads what is journaled (up to `timeout_s`, less if
// a signal or `gdmount unmount --no-wait` says stop), logging a line per
// file, and tells a following `gdmount unmount` how many are left.
Status DrainAtUnmount(meta::MetadataStore* store, cache::Uploader* uploader,
                      int timeout_s, const Interrupts& interrupts,
                      UnmountFollowers* unmount) {
  auto pending = store->PendingUploads();
  if (pending.ok() && !pending->empty()) {
    GDMOUNT_LOG(kInfo) << "uploading " << pending->size()
                       << " file(s) before exiting (up to " << timeout_s
                       << " s); Ctrl-C stops waiting, the rest stays "
                          "journaled for the next mount";
  }
  auto left = uploader->Drain(
      unmount->no_wait ? std::chrono::seconds(0)
                       : std::chrono::seconds(timeout_s),
      [](const std::string& line) {
        GDMOUNT_LOG(kInfo) << line;
        SdNotify("STATUS=" + line);
      },
      [&interrupts, unmount] {
        return interrupts.count() > 0 || unmount->no_wait;
      });
  uploader->Stop();
  if (!left.ok()) return left.status();
  unmount->Finish(static_cast<int64_t>(*left));
  if (*left > 0) {
    GDMOUNT_LOG(kWarning) << *left
                          << " file(s) not uploaded yet; they stay "
                             "journaled and the next mount resumes them";
  } else {
    GDMOUNT_LOG(kInfo) << "every written file is on Drive";
  }
  return Status::Ok();
}

}  // namespace

const char kMountHelp[] =
    "Usage: gdmount mount MOUNTPOINT [-f] [-o OPTIONS]\n"
    "\n"
    "Serves Drive at MOUNTPOINT until `gdmount unmount MOUNTPOINT`\n"
    "(or `fusermount3 -u`), Ctrl-C or SIGTERM. Without -f it runs as a\n"
    "daemon and returns once the mount answers, saying where its log is.\n"
    "Writes land on local disk and are uploaded in the background; at\n"
    "unmount gdmount waits for them (up to --unmount-timeout; a second\n"
    "Ctrl-C stops waiting) and the next mount resumes any left.\n"
    "\n"
    "Changes made elsewhere show within --poll-interval (15 s). SIGUSR1\n"
    "(kill -USR1 PID) logs a status report (as `gdmount status` shows it)\n"
    "and looks for changes at once.\n"
    "\n"
    "  -f                 Stay in the foreground, logging to stderr\n"
    "  -o OPTIONS         allow_other (adds default_permissions), uid=N,\n"
    "                     gid=N, umask=OCTAL (default 022), ro, rw, debug,\n"
    "                     nonempty (mount over a directory with files)\n"
    "\n"
    "What is mounted (see gdmount --help for every setting):\n"
    "  --shared-drive ID  A shared drive instead of My Drive (gdmount drives)\n"
    "  --root-folder ID-OR-PATH\n"
    "                     One folder as the root, e.g. /datasets/pets\n"
    "  --show-trash=false, --show-shared=false\n"
    "                     Hide .Trash / .shared at My Drive's root\n";

OptionSpec MountOptions() { return {{"-f", false}, {"-o", true}}; }

int RunMount(const config::Settings& s, const CommandLine& cl,
             std::ostream& err) {
  if (cl.positional.size() != 1) {
    err << "gdmount mount: expected one MOUNTPOINT; see gdmount help mount\n";
    return 2;
  }
  fuse::MountOptions mo;
  mo.mountpoint = cl.positional[0];
  mo.entry_timeout_s = s.entry_timeout_s;
  mo.attr_timeout_s = s.attr_timeout_s;
  mo.xattrs = s.xattrs;
  mo.kernel_read_ahead_bytes = s.kernel_read_ahead;
  vfs::FsOptions fo;
  fo.uid = getuid();
  fo.gid = getgid();
  fo.read_ahead.initial = s.read_ahead_initial;
  fo.read_ahead.max = s.read_ahead_max;
  fo.small_file_threshold = s.small_file_threshold;
  fo.delete_permanently = s.delete_permanently;
  bool read_only = s.read_only;
  if (auto o = cl.options.find("-o"); o != cl.options.end()) {
    Status st = ParseMountOptions(o->second, &mo, &fo, &read_only);
    if (!st.ok()) {
      err << "gdmount mount: " << st.message() << "\n";
      return 2;
    }
  }
  auto fail = [&err](const Status& st) {
    err << "gdmount mount: " << st.message() << "\n";
    return 1;
  };
  // Common mistakes, each with its fix, before anything is started.
  if (Status fuse_ok = CheckFuseAvailable(); !fuse_ok.ok())
    return fail(fuse_ok);
  if (Status dir_ok = CheckMountPoint(mo.mountpoint, mo.nonempty); !dir_ok.ok())
    return fail(dir_ok);
  // Daemonized unless -f: from here on this is the daemon, and the
  // command returns once the mount answers (Ready below).
  std::optional<Daemon> daemon;
  if (cl.options.count("-f") == 0) {
    auto d = Daemon::Daemonize(MountPointKey(mo.mountpoint));
    if (!d.ok()) return fail(d.status());
    daemon.emplace(*d);
  } else if (!s.log_file.empty()) {
    if (Status logged = RedirectStderr(s.log_file); !logged.ok())
      return fail(logged);
  }
  // Before any thread exists (see SignalThread): SIGUSR1 = log the status
  // and poll for changes now.
  SignalThread poll_signal(SIGUSR1);
  // A daemon already serving this mount point answers on its socket.
  auto socket_path = ControlSocketPath(mo.mountpoint);
  if (!socket_path.ok()) return fail(socket_path.status());
  if (ControlRequest(*socket_path, "ping", std::chrono::seconds(2)).ok())
    return fail(Status(StatusCode::kAlreadyExists,
                       "another gdmount already serves this mount point; "
                       "`gdmount status " +
                           MountPointKey(mo.mountpoint) + "` shows it"));
  // The account name becomes a path component: the token store's rule
  // (no '/', no leading '.') is checked before any directory is made.
  if (auto valid = auth::AccountConfigDir(s.account); !valid.ok()) {
    err << "gdmount mount: " << valid.status().message() << "\n";
    return 2;
  }
  auto state = PrivateDir("XDG_STATE_HOME", ".local/state", s.account);
  if (!state.ok()) return fail(state.status());
  auto cache_dir = PrivateDir("XDG_CACHE_HOME", ".cache", s.account);
  if (!cache_dir.ok()) return fail(cache_dir.status());
  auto drive = MakeDriveStack(s);
  if (!drive.ok()) return fail(drive.status());
  drive::DriveClient* client = drive->client.get();
  vfs::RootSpec spec{s.shared_drive, s.root_folder};
  auto root = vfs::ResolveRoot(client, spec);
  if (!root.ok()) return fail(root.status());
  auto db_path = MetadataPath(*state, spec, *root);
  if (!db_path.ok()) return fail(db_path.status());
  auto store = meta::MetadataStore::Open(*db_path);
  if (!store.ok()) return fail(store.status());
  vfs::TreeOptions to;
  to.show_trash = s.show_trash;
  to.show_shared = s.show_shared;
  to.max_view_entries = static_cast<size_t>(s.view_cache_entries);
  vfs::Tree tree(store->get(), client, RealClock(), to);
  Status init = tree.Init(*root);
  if (!init.ok()) return fail(init);
  cache::ContentCacheOptions co;
  co.dir = *cache_dir + "/content";
  co.chunk_size = s.cache_chunk_size;
  co.budget_bytes = s.cache_budget;
  co.max_files = CacheFilesWithinLimit(s.cache_max_files);
  co.fetch_threads = s.download_threads;
  auto cache = cache::ContentCache::Open(co, client);
  if (!cache.ok()) return fail(cache.status());
  // The write path: staging beside this root's database, so two roots of
  // one account never touch each other's pending files.
  std::unique_ptr<cache::WriteBack> write_back;
  std::unique_ptr<cache::Uploader> uploader;
  if (!read_only) {
    cache::WriteBackOptions wo;
    wo.staging_dir = *db_path + ".staging";
    wo.staging_limit = s.staging_limit;
    wo.block_when_full = s.staging_full == "block";
    write_back =
        std::make_unique<cache::WriteBack>(store->get(), cache->get(), wo);
    Status ready = write_back->Init();
    if (!ready.ok()) return fail(ready);
    cache::UploaderOptions uo;
    uo.threads = s.upload_threads;
    uo.delete_permanently = s.delete_permanently;
    uo.on_folder_changed = [&tree](const std::string& folder) {
      (void)tree.Invalidate(folder);
    };
    uploader = std::make_unique<cache::Uploader>(store->get(), client,
                                                 write_back.get(), uo);
    auto pending = store->get()->PendingUploads();
    if (pending.ok() && !pending->empty()) {
      GDMOUNT_LOG(kInfo) << "resuming " << pending->size()
                         << " journaled upload(s) from an earlier run";
    }
    uploader->Start();
  }
  // Changes made elsewhere: a token taken before anything is listed (a
  // new database), or the saved one, caught up with once mounted.
  vfs::ChangeFeedOptions cfo;
  cfo.interval = std::chrono::seconds(s.poll_interval_s);
  cfo.drive_id = root->drive_id;
  vfs::ChangeFeed feed(store->get(), client, &tree, cache->get(), cfo);
  Status fed = feed.Init();
  if (!fed.ok()) return fail(fed);
  // What `gdmount status` (and SIGUSR1) report.
  RecentErrors recent;
  StatusSources sources;
  sources.mountpoint = MountPointKey(mo.mountpoint);
  sources.account = s.account;
  sources.root = spec.is_default() ? "My Drive" : root->name;
  sources.read_only = read_only;
  sources.started_ms = UnixMillis(RealClock());
  sources.cache_budget = s.cache_budget;
  sources.cache_max_files = co.max_files;
  sources.cache = cache->get();
  sources.store = store->get();
  sources.uploader = uploader.get();
  sources.client = drive->client.get();
  sources.feed = &feed;
  sources.tree = &tree;
  sources.max_view_entries = s.view_cache_entries;
  sources.errors = &recent;
  RecordWarnings record(&recent);
  // The control socket, before mounting: a second daemon for this mount
  // point stops here, with the reason.
  UnmountFollowers unmount;
  auto control = ControlServer::Start(
      *socket_path, [&](const std::string& request) -> std::string {
        if (request == "status") {
          nlohmann::json j = CollectStatus(sources);
          unmount.AddOutcome(&j);
          return j.dump();
        }
        if (request == "poll") feed.PollNow();
        if (request == "no-wait") unmount.no_wait = true;
        if (request == "follow") unmount.followed = true;
        if (request == "ping" || request == "poll" || request == "no-wait" ||
            request == "follow")
          return R"({"ok":true})";
        return R"({"error":"unknown request"})";
      });
  if (!control.ok()) return fail(control.status());
  vfs::Filesystem fs(&tree, store->get(), cache->get(), client, fo, RealClock(),
                     write_back.get(), uploader.get());
  fuse::FuseFrontend frontend(&fs, mo);
  Status mounted = frontend.Mount();
  if (!mounted.ok()) return fail(mounted);
  GDMOUNT_LOG(kInfo) << "mounted at " << mo.mountpoint
                     << (read_only ? " (read-only)" : "");
  feed.SetNotifier(&frontend);
  feed.Start();
  // Freed memory left in malloc's arenas (views evicted, ordinary churn)
  // is given back (daemon/memory_returner.h).
  MemoryReturner returner([&tree] { return tree.view_stats().evictions; },
                          TrimMalloc, std::chrono::seconds(5));
  returner.Start();
  poll_signal.Start([&feed, &sources] {
    GDMOUNT_LOG(kInfo) << "status (SIGUSR1):\n"
                       << FormatStatus(CollectStatus(sources));
    feed.PollNow();
  });
  SdNotify("READY=1\nSTATUS=Serving " + sources.mountpoint);
  if (daemon) {
    Status ready = daemon->Ready(s.log_file.empty() ? *state + "/gdmount.log"
                                                    : s.log_file);
    if (!ready.ok()) {
      GDMOUNT_LOG(kWarning) << ready.ToString();
    }
  }
  Status ran = frontend.Run();
  // From here a SIGINT/SIGTERM no longer unmounts (that is under way) but
  // stops the wait for uploads; installed before the unmount so no signal
  // falls between libfuse's handlers and these.
  Interrupts interrupts;
  SdNotify("STOPPING=1\nSTATUS=Unmounted; uploading what is pending");
  poll_signal.Stop();  // its callback uses the feed
  feed.SetNotifier(nullptr);
  frontend.Unmount();
  feed.Stop();
  if (!ran.ok()) return fail(ran);
  GDMOUNT_LOG(kInfo) << "unmounted " << mo.mountpoint;
  if (uploader) {
    Status drained = DrainAtUnmount(store->get(), uploader.get(),
                                    s.unmount_timeout_s, interrupts, &unmount);
    if (!drained.ok()) return fail(drained);
  }
  return 0;
}

}  // namespace gdmount::daemon
