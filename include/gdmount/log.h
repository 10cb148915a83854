// Logging facade. One process-wide sink; a disabled level costs one branch.
//
//   GDMOUNT_LOG(kWarning) << "retrying " << method << " in " << ms << " ms";
//
// Every message passes through log::Redact() before it reaches the sink, so
// a bearer token, refresh token, authorization code, PKCE verifier, client
// secret or JWT assertion that slips into a message is replaced by
// "[REDACTED]". Code must still never log secrets on purpose; redaction is
// the safety net, tested by tests/unit/log/redact_test.cc.
//
// Thread safety: thread-safe; the sink is called under an internal mutex.
#pragma once

#include <atomic>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace gdmount::log {

enum class Level {
  kError = 0,
  kWarning = 1,
  kInfo = 2,
  kDebug = 3,
  kTrace = 4
};

const char* LevelName(Level level);
// Parses "error", "warning"/"warn", "info", "debug", "trace".
bool ParseLevel(std::string_view name, Level* level);

// Messages above this level are dropped. Default kInfo.
void SetLevel(Level level);
Level GetLevel();
inline bool Enabled(Level level) {
  extern std::atomic<int> g_level;
  return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

// Receives already-redacted messages. The default sink writes
// "gdmount: W message\n" to stderr.
using Sink = std::function<void(Level, const std::string& message)>;
// Replaces the sink (nullptr restores stderr); returns the previous one.
Sink SetSink(Sink sink);
// The default sink: "gdmount: W message" lines on stderr.
void StderrSink(Level level, const std::string& message);

// Redacts secrets in `text` (see the file comment).
std::string Redact(std::string_view text);

// Redacts, then hands the message to the sink.
void Write(Level level, std::string_view message);

// Collects one message; writes it when destroyed.
class Message {
 public:
  explicit Message(Level level) : level_(level) {}
  ~Message() { Write(level_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  Level level_;
  std::ostringstream stream_;
};

}  // namespace gdmount::log

#define GDMOUNT_LOG(level)                                      \
  if (!::gdmount::log::Enabled(::gdmount::log::Level::level)) { \
  } else                                                        \
    ::gdmount::log::Message(::gdmount::log::Level::level).stream()
