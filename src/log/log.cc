#include "gdmount/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace gdmount::log {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

namespace {

std::mutex& SinkMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

Sink& CurrentSink() {
  static Sink* sink = new Sink();  // empty: stderr
  return *sink;
}

}  // namespace

const char* LevelName(Level level) {
  switch (level) {
    case Level::kError:
      return "E";
    case Level::kWarning:
      return "W";
    case Level::kInfo:
      return "I";
    case Level::kDebug:
      return "D";
    case Level::kTrace:
      return "T";
  }
  return "?";
}

bool ParseLevel(std::string_view name, Level* level) {
  if (name == "error") {
    *level = Level::kError;
  } else if (name == "warning" || name == "warn") {
    *level = Level::kWarning;
  } else if (name == "info") {
    *level = Level::kInfo;
  } else if (name == "debug") {
    *level = Level::kDebug;
  } else if (name == "trace") {
    *level = Level::kTrace;
  } else {
    return false;
  }
  return true;
}

void SetLevel(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

Level GetLevel() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}

Sink SetSink(Sink sink) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  Sink previous = std::move(CurrentSink());
  CurrentSink() = std::move(sink);
  return previous;
}

namespace {

// True when stderr is journald's stream for this service (systemd sets
// JOURNAL_STREAM to its "DEV:INODE"): lines then carry a "<N>" priority
// prefix (sd-daemon(3)), so `journalctl -p warning` works.
// Checked per line (a getenv and an fstat): stderr can be redirected
// after start (a daemonized mount moves it to its log file).
bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st;
  if (!stream || ::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) &&
         ino == static_cast<unsigned long long>(st.st_ino);
}

int SyslogPriority(Level level) {
  switch (level) {
    case Level::kError:
      return 3;
    case Level::kWarning:
      return 4;
    case Level::kInfo:
      return 6;
    default:
      return 7;
  }
}

}  // namespace

void StderrSink(Level level, const std::string& message) {
  if (StderrIsJournal()) {
    std::fprintf(stderr, "<%d>%s\n", SyslogPriority(level), message.c_str());
    return;
  }
  std::fprintf(stderr, "gdmount: %s %s\n", LevelName(level), message.c_str());
}

void Write(Level level, std::string_view message) {
  std::string redacted = Redact(message);
  std::lock_guard<std::mutex> lock(SinkMutex());
  if (CurrentSink()) {
    CurrentSink()(level, redacted);
    return;
  }
  StderrSink(level, redacted);
}

}  // namespace gdmount::log
