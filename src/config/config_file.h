// config_file: parser for $XDG_CONFIG_HOME/gdmount/config.toml.
//
// Design note. The config file is a subset of TOML 1.0: apart from the two
// redefinition rules noted below, every file this parser accepts is valid
// TOML with the same meaning, so users can lean on TOML documentation and
// editors. Accepted:
//   key = value          bare keys [A-Za-z0-9_-], dotted keys (a.b = 1)
//   [table] / [a.b]      table headers; later keys become "a.b.key"
//   "basic"              escapes \" \\ \b \t \n \f \r \uXXXX \UXXXXXXXX
//   'literal'            no escapes
//   -1_000 / +5 / 0      decimal integers that fit in int64
//   true / false
//   # comments, blank lines, spaces and tabs, CRLF line ends, a UTF-8 BOM.
// Rejected with InvalidArgument: floats, dates, arrays, inline tables,
// multi-line strings, quoted keys and [[arrays of tables]] (gdmount needs
// none of them); duplicate keys and [tables]; control characters and
// invalid UTF-8. Deliberately not checked: TOML's rules against reopening a
// table by another route ("[a] b.c = 1" then "[a.b]") and against a table
// over a value ("a = 1" then "[a]"). Neither can change a flat result, and
// when no known key is a prefix of another, any key under such a table is
// an unknown key anyway.
//
// The result is flat: "[account.work]\nclient_id = 'x'" yields the key
// "account.work.client_id". Values keep their TOML type; turning them into
// typed settings (sizes, durations, ranges) is the caller's job. Parsing
// stops at the first error.
//
// Thread safety: all functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gdmount/result.h"

namespace gdmount::config {

// One value from the file, with the line it came from so that callers can
// report semantic errors ("config.toml:7: cache_size must be positive").
struct ConfigValue {
  enum class Type { kString, kInt, kBool };
  Type type = Type::kString;
  std::string str;  // kString: the decoded string (escapes resolved)
  int64_t i = 0;    // kInt
  bool b = false;   // kBool
  int line = 0;     // 1-based line of the key

  // The value as a command-line flag would take it, so that string-typed
  // settings (sizes like "8MiB", paths) can share the flag parser: strings
  // decoded and unquoted, integers in plain decimal ("8_192" -> "8192",
  // "+5" -> "5"), booleans as "true"/"false".
  std::string AsText() const;
};

// Flat key ("section.key") -> value.
using ConfigMap = std::map<std::string, ConfigValue>;

// Parses `text` as a config file. `path` is used only in error messages.
//
// Every flat key must match one of `known_key_patterns`: dotted patterns in
// which a "*" segment matches exactly one key segment ("account.*.client_id"
// matches "account.work.client_id" but not "account.client_id"). An empty
// list therefore rejects every key.
//
// Returns InvalidArgument with the message "<path>:<line>: <what>", e.g.
//   config.toml:4: unknown key 'clinet_id' (did you mean 'client_id'?)
// A suggestion is offered when a known key (with the "*" segments taken from
// the offending key) is within edit distance 3 of it. Both are written as on
// the offending line when the suggestion is in the current [table], else in
// full ("acount.work.client_id" -> "account.work.client_id").
Result<ConfigMap> ParseConfig(
    std::string_view text, std::string_view path,
    const std::vector<std::string>& known_key_patterns);

// Reads the file at `path` and parses it with ParseConfig.
// Returns NotFound if the file does not exist (callers treat that as an empty
// config), PermissionDenied if it cannot be opened for lack of permission,
// Io on other read errors (including `path` being a directory),
// InvalidArgument if it is larger than 1 MiB or fails to parse.
// Pipes are read to EOF, so "--config <(...)" works.
Result<ConfigMap> LoadConfigFile(
    const std::string& path,
    const std::vector<std::string>& known_key_patterns);

// The candidate with the smallest Levenshtein distance (byte-wise) to `word`
// if that distance is at most 3, else "". Ties go to the earlier candidate;
// an exact match returns itself. Shared with the CLI for unknown-flag errors.
std::string ClosestMatch(std::string_view word,
                         const std::vector<std::string>& candidates);

}  // namespace gdmount::config
