// gdmount-emulator: a Google Drive v3 service on loopback, for tests,
// benchmarks and the demo. See docs/emulator.md.
//
// Contract (DESIGN.md section 7): the first line on stdout, flushed once the
// socket accepts connections, is
//   gdmount-emulator listening on http://127.0.0.1:PORT
// and SIGTERM/SIGINT stop it cleanly (exit status 0).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "tests/emulator/emulator.h"
#include "tests/emulator/seed.h"

namespace gdmount::emulator {
namespace {

constexpr const char* kUsage = R"(usage: gdmount-emulator [options]

A Google Drive v3 emulator on plain HTTP (loopback only).

Server:
  --host ADDR             listen address (default 127.0.0.1)
  --allow-non-loopback    allow a --host that is not a loopback address
  --port N                port, 0 = pick a free one (default 0)
Content:
  --seed DIR              import DIR as My Drive (conventions: docs/emulator.md)
  --generate SPEC         synthetic tree: PATH=SIZE or DIR/=COUNTxSIZE, comma-
                          separated, repeatable (e.g. big.bin=1G,train/=10000x64K)
  --state DIR             persist files, sessions and tokens in DIR; a restart
                          with the same DIR keeps them (seeding only if empty)
  --user-email ADDR       the account's e-mail (default user@example.com)
  --quota-bytes N         storage quota (default 15G; 0 = unlimited)
Shaping (all off by default):
  --preset NAME           none | drive-like (40 ms, 80 ms first media byte,
                          60 MiB/s per connection) | bench (20 ms, 20 ms, 40 MiB/s)
  --latency-ms N          delay before each metadata response
  --media-latency-ms N    delay before the first byte of media/export
  --bandwidth SIZE        per-connection cap in bytes/s (e.g. 60M)
Faults and limits:
  --fault SPEC            KIND[:rate=P][:nth=N][:times=N][:method=M], repeatable;
                          KIND: 500 502 503 504 403 (userRateLimitExceeded)
                          429 401 (token revoked) reset truncate; damaged
                          JSON answers: malformed, omit:field=NAME,
                          badsize[:delta=N] (size + N, default 1000)
  --rate-limit QPS        global request rate; over it: --rate-limit-status
  --rate-limit-burst N    bucket size (default: QPS)
  --rate-limit-status S   403 (userRateLimitExceeded, default) or 429
  --retry-after S         Retry-After seconds on 429 (default 1)
  --random-seed N         seed for fault decisions (default 1)
Behaviour switches (where Drive is not documented):
  --short-pages           files.list returns short and empty pages (with tokens)
  --index-lag-ms N        name/fullText search misses items renamed within N ms
  --name-contains MODE    word (default) | prefix | substring
  --strict-chunks         refuse unaligned non-final resumable chunks (400)
                          instead of keeping their aligned prefix
  --session-ttl S         resumable session lifetime (default 604800)
  --export-limit SIZE     export size cap (default 10M)
  --copy-name-prefix S    default name prefix of files.copy (default "Copy of ")
  --no-native-size        omit `size` on Google-native files
  --lenient-params        ignore unknown query parameters instead of 400
  --no-gzip               never gzip JSON (by default it is gzipped when the
                          request sends Accept-Encoding: gzip and a
                          User-Agent containing "gzip", as Google documents)
OAuth:
  --static-token TOKEN    an access token that is always valid (repeatable)
  --token-lifetime S      access-token lifetime (default 3599)
  --client-id ID          require this client_id (default: any)
  --client-secret S       require this client_secret (default: not checked)
  --auth-page MODE        redirect (default: 302 to redirect_uri) | show
                          (a page showing the code, for copy-paste)
  --service-account-key FILE   trust this service-account key file
  --write-service-account FILE create a service account, write its key file
Other:
  --help, --version
Introspection: GET /__emulator/stats, POST /__emulator/reset-stats,
GET|POST /__emulator/faults, POST /__emulator/service-account,
POST /__emulator/share?id=ID (a colleague shares ID with the user).
)";

struct Flags {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string seed, state, write_sa;
  std::vector<std::string> generate, sa_keys;
  bool allow_non_loopback = false;
};

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "gdmount-emulator: %s\n", msg.c_str());
  std::exit(2);
}

int64_t SizeArg(const std::string& flag, const std::string& v) {
  auto r = ParseSize(v);
  if (!r.ok()) Die(flag + ": " + r.status().message());
  return *r;
}

int64_t IntArg(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < 0)
    Die(flag + ": expected a non-negative integer, got '" + v + "'");
  return x;
}

void ParseFlags(int argc, char** argv, Flags* f, EmulatorOptions* o) {
  std::map<std::string, std::function<void(const std::string&)>> with_value = {
      {"--host", [&](auto v) { f->host = v; }},
      {"--port",
       [&](auto v) { f->port = static_cast<int>(IntArg("--port", v)); }},
      {"--seed", [&](auto v) { f->seed = v; }},
      {"--generate", [&](auto v) { f->generate.push_back(v); }},
      {"--state", [&](auto v) { f->state = v; }},
      {"--user-email", [&](auto v) { o->store.user_email = v; }},
      {"--quota-bytes",
       [&](auto v) { o->store.quota_limit = SizeArg("--quota-bytes", v); }},
      {"--preset",
       [&](auto v) {
         if (Status s = ApplyPreset(v, &o->shaping); !s.ok()) Die(s.message());
       }},
      {"--latency-ms",
       [&](auto v) {
         o->shaping.metadata_latency_ms = IntArg("--latency-ms", v);
       }},
      {"--media-latency-ms",
       [&](auto v) {
         o->shaping.media_latency_ms = IntArg("--media-latency-ms", v);
       }},
      {"--bandwidth",
       [&](auto v) {
         o->shaping.bandwidth_bytes_per_s = SizeArg("--bandwidth", v);
       }},
      {"--fault",
       [&](auto v) {
         auto r = ParseFaultRule(v);
         if (!r.ok()) Die("--fault: " + r.status().message());
         o->faults.push_back(*r);
       }},
      {"--rate-limit",
       [&](auto v) { o->rate_limit.requests_per_s = std::atof(v.c_str()); }},
      {"--rate-limit-burst",
       [&](auto v) { o->rate_limit.burst = std::atof(v.c_str()); }},
      {"--rate-limit-status",
       [&](auto v) {
         o->rate_limit.status =
             static_cast<int>(IntArg("--rate-limit-status", v));
         if (o->rate_limit.status != 403 && o->rate_limit.status != 429)
           Die("--rate-limit-status: 403 or 429");
       }},
      {"--retry-after",
       [&](auto v) {
         o->rate_limit.retry_after_s = IntArg("--retry-after", v);
       }},
      {"--random-seed",
       [&](auto v) { o->random_seed = IntArg("--random-seed", v); }},
      {"--index-lag-ms",
       [&](auto v) { o->store.index_lag_ms = IntArg("--index-lag-ms", v); }},
      {"--name-contains",
       [&](auto v) {
         using NC = QueryContext::NameContains;
         if (v == "word")
           o->store.name_contains = NC::kWordPrefix;
         else if (v == "prefix")
           o->store.name_contains = NC::kPrefix;
         else if (v == "substring")
           o->store.name_contains = NC::kSubstring;
         else
           Die("--name-contains: word, prefix or substring");
       }},
      {"--session-ttl",
       [&](auto v) {
         o->uploads.session_ttl_ms = IntArg("--session-ttl", v) * 1000;
       }},
      {"--export-limit",
       [&](auto v) { o->export_limit_bytes = SizeArg("--export-limit", v); }},
      {"--copy-name-prefix", [&](auto v) { o->store.copy_name_prefix = v; }},
      {"--static-token", [&](auto v) { o->oauth.static_tokens.push_back(v); }},
      {"--token-lifetime",
       [&](auto v) {
         o->oauth.access_token_lifetime_s = IntArg("--token-lifetime", v);
       }},
      {"--client-id", [&](auto v) { o->oauth.client_id = v; }},
      {"--client-secret", [&](auto v) { o->oauth.client_secret = v; }},
      {"--auth-page",
       [&](auto v) {
         if (v != "redirect" && v != "show")
           Die("--auth-page: redirect or show");
         o->oauth.show_code_page = v == "show";
       }},
      {"--service-account-key", [&](auto v) { f->sa_keys.push_back(v); }},
      {"--write-service-account", [&](auto v) { f->write_sa = v; }},
  };
  std::map<std::string, std::function<void()>> switches = {
      {"--short-pages", [&] { o->short_pages = true; }},
      {"--strict-chunks", [&] { o->uploads.strict_chunks = true; }},
      {"--no-native-size", [&] { o->store.native_files_have_size = false; }},
      {"--lenient-params", [&] { o->strict_params = false; }},
      {"--no-gzip", [&] { o->gzip = false; }},
      {"--allow-non-loopback", [&] { f->allow_non_loopback = true; }},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool has_inline = false;
    if (size_t eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--version") {
      std::puts("gdmount-emulator " GDMOUNT_VERSION " (Drive API v3)");
      std::exit(0);
    }
    if (auto s = switches.find(arg); s != switches.end() && !has_inline) {
      s->second();
      continue;
    }
    auto w = with_value.find(arg);
    if (w == with_value.end()) Die("unknown option '" + arg + "' (see --help)");
    if (!has_inline) {
      if (i + 1 >= argc) Die(arg + " needs a value");
      value = argv[++i];
    }
    w->second(value);
  }
}

}  // namespace

int Main(int argc, char** argv) {
  Flags flags;
  EmulatorOptions options;
  ParseFlags(argc, argv, &flags, &options);
  if (!IsLoopback(flags.host) && !flags.allow_non_loopback)
    Die("--host " + flags.host +
        " is not a loopback address (use --allow-non-loopback)");

  // Signals go to one thread that stops the server; block them everywhere else.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto journal =
      flags.state.empty() ? Journal::Ephemeral() : Journal::Open(flags.state);
  if (!journal.ok()) Die(journal.status().message());
  std::shared_ptr<Journal> shared_journal(std::move(journal.value()));

  // Listen first: the emulator must know its own URL (Location headers, the
  // discovery document, service-account token_uri and JWT audience).
  // Connections wait in the backlog until Serve().
  std::unique_ptr<Emulator> emu_owner;
  HttpServerOptions http;
  http.host = flags.host;
  http.port = flags.port;
  http.bandwidth_bytes_per_s = options.shaping.bandwidth_bytes_per_s;
  HttpServer server(http, [&emu_owner](HttpRequest& req, HttpResponse& res) {
    emu_owner->Handle(req, res);
  });
  auto port = server.Listen();
  if (!port.ok()) Die(port.status().message());
  std::string host = flags.host.find(':') != std::string::npos
                         ? "[" + flags.host + "]"
                         : flags.host;
  std::string url = "http://" + host + ":" + std::to_string(*port);
  // JWTs may name Google's token endpoints or ours (older google-auth puts
  // the key file's token_uri, i.e. ours, in `aud`).
  options.oauth.token_audiences = {
      kGoogleTokenUri, "https://accounts.google.com/o/oauth2/token",
      "https://www.googleapis.com/oauth2/v4/token", url + "/token"};

  emu_owner = std::make_unique<Emulator>(options, shared_journal);
  Emulator& emu = *emu_owner;
  if (Status s = emu.Open(); !s.ok()) Die(s.ToString());
  emu.set_public_url(url);
  emu.set_http_counters(&server.counters());
  if (emu.store().empty()) {
    if (!flags.seed.empty())
      if (Status s =
              SeedFromDirectory(flags.seed, &emu.store(), shared_journal.get());
          !s.ok())
        Die("--seed: " + s.message());
    for (const auto& spec : flags.generate)
      if (Status s = GenerateFromSpec(spec, &emu.store()); !s.ok())
        Die(s.message());
  }
  for (const auto& path : flags.sa_keys) {
    std::ifstream in(path);
    auto key = nlohmann::json::parse(in, nullptr, false);
    if (key.is_discarded()) Die("--service-account-key: not JSON: " + path);
    if (Status s = emu.oauth().AddServiceAccount(key); !s.ok())
      Die(s.message());
  }

  if (!flags.write_sa.empty()) {
    auto key = emu.oauth().CreateServiceAccount(
        "emulated-sa@gdmount-emulator.iam.gserviceaccount.com",
        emu.public_url() + "/token");
    if (!key.ok()) Die(key.status().message());
    std::ofstream out(flags.write_sa, std::ios::trunc);
    out << key->dump(2) << "\n";
    if (!out) Die("cannot write " + flags.write_sa);
    std::filesystem::permissions(flags.write_sa,
                                 std::filesystem::perms::owner_read |
                                     std::filesystem::perms::owner_write);
  }

  std::thread signal_thread([&server, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    server.Stop();
  });
  std::printf("gdmount-emulator listening on %s\n", emu.public_url().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "gdmount-emulator: %zu items, root %s%s\n",
               emu.store().size(), emu.store().root_id().c_str(),
               shared_journal->persistent()
                   ? (", state in " + flags.state).c_str()
                   : "");
  server.Serve();
  // Serve() returns after Stop(), i.e. after a signal.
  signal_thread.join();
  if (Status s = emu.Checkpoint(); !s.ok())
    std::fprintf(stderr, "gdmount-emulator: checkpoint failed: %s\n",
                 s.ToString().c_str());
  return 0;
}

}  // namespace gdmount::emulator

int main(int argc, char** argv) { return gdmount::emulator::Main(argc, argv); }
