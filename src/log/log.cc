#include "gdmount/log.h"

#include <cstdio>
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

void StderrSink(Level level, const std::string& message) {
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
