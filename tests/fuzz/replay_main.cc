// The driver for fuzz targets in ordinary builds (gcc, sanitizer builds):
// runs LLVMFuzzerTestOneInput on every file of the directories or files
// given, then, with --mutate N, on N inputs made from them by a seeded
// mutator (byte flips, inserts, erases, splices of two inputs), so every
// ctest run explores a little beyond the saved corpus, reproducibly.
// libFuzzer builds (GDMOUNT_FUZZ=ON, scripts/fuzz) use libFuzzer's own main.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> ReadInputs(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& p : paths) {
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.emplace_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> inputs;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(in),
                        std::istreambuf_iterator<char>());
  }
  return inputs;
}

std::string Mutate(const std::vector<std::string>& corpus,
                   std::mt19937_64& rng) {
  std::string s =
      corpus.empty() ? std::string() : corpus[rng() % corpus.size()];
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 5) {
      case 0:  // flip a byte
        if (!s.empty())
          s[rng() % s.size()] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1:  // insert an interesting byte
        s.insert(s.begin() +
                     static_cast<long>(s.empty() ? 0 : rng() % (s.size() + 1)),
                 "\0\"\\{}[]:,/.%0-9eE"[rng() % 18]);
        break;
      case 2:  // erase a run
        if (!s.empty()) {
          size_t at = rng() % s.size();
          s.erase(at, 1 + rng() % std::min<size_t>(16, s.size() - at));
        }
        break;
      case 3:  // splice with another input
        if (!corpus.empty()) {
          const std::string& o = corpus[rng() % corpus.size()];
          if (!o.empty()) {
            size_t from = rng() % o.size();
            s.insert(s.empty() ? 0 : rng() % (s.size() + 1),
                     o.substr(from, 1 + rng() % 64));
          }
        }
        break;
      default:  // duplicate a run (deep nesting, long strings)
        if (!s.empty()) {
          size_t at = rng() % s.size();
          std::string run = s.substr(at, 1 + rng() % 8);
          for (int k = 0, n = static_cast<int>(rng() % 64); k < n; ++k)
            s.insert(at, run);
        }
    }
  }
  return s;
}

// The input being run, saved by the crash handler to crash-replay.bin (in
// the working directory) so a failure found by --mutate can be replayed
// and added to the corpus.
const std::string* g_current = nullptr;

void SaveCurrentAndDie(int sig) {
  if (g_current) {
    int fd = open("crash-replay.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = write(fd, g_current->data(), g_current->size());
      (void)ignored;
      close(fd);
    }
    const char msg[] =
        "fuzz replay: the failing input is in crash-replay.bin\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void Run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long mutate = 0;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mutate") == 0 && i + 1 < argc) {
      mutate = std::strtol(argv[++i], nullptr, 10);
    } else {
      paths.emplace_back(argv[i]);
    }
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
    signal(sig, SaveCurrentAndDie);
  std::vector<std::string> corpus = ReadInputs(paths);
  for (const std::string& input : corpus) Run(input);
  std::mt19937_64 rng(0x6764'6d6f'756e'74ULL);  // fixed: a failure replays
  for (long i = 0; i < mutate; ++i) Run(Mutate(corpus, rng));
  std::printf("replayed %zu inputs and %ld mutations\n", corpus.size(), mutate);
  return 0;
}
