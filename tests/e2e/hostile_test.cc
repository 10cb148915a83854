// Hostile inputs through a real mount: names from Drive that no kernel
// would take as they are, and edge-case requests from the kernel side
// (offsets past the end, empty and huge reads and writes, files past
// Drive's size limit or the free quota). Each gets the right errno or the
// right bytes; the daemon keeps serving.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/e2e/e2e_support.h"
#include "tests/support/emulator_fixture.h"
#include "tests/support/temp_dir.h"

namespace gdmount {
namespace {

using e2e::Lines;
using e2e::Mount;
using e2e::Run;
using testing::EmulatorFixture;

TEST_CASE("Names no kernel takes as they are get distinct names that work",
          "[e2e][hostile]") {
  if (!e2e::HaveFuse()) return;
  EmulatorFixture fx;
  const std::vector<std::string> names = {
      ".",
      "..",
      "a/b",
      "x\\000y",
      std::string(300, 'n'),
      std::string(300, 'n'),  // a twin of an over-long name
      "twin",
      "twin",
      "tab\there",
      "line\nbreak",
      "trailing "};
  std::set<std::string> contents;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string body = "content " + std::to_string(i);
    fx.Upload(names[i], body);
    contents.insert(body);
  }
  testing::TempDir home;
  Mount m(fx, home);
  // Every file is listed once under a name the kernel accepted, and opening
  // it by that name gives that file's bytes.
  std::string out = Run({"python3", "-c",
                         "import os, sys\n"
                         "d = sys.argv[1]\n"
                         "for n in sorted(os.listdir(d)):\n"
                         "    if n.startswith('.'): continue\n"
                         "    b = open(os.path.join(d, n), 'rb').read()\n"
                         "    print(len(n.encode()), '/' in n, b.decode())\n",
                         m.dir()});
  std::set<std::string> seen;
  size_t files = 0;
  for (const std::string& line : Lines(out)) {
    INFO(line);
    // "<bytes in the name> False content N"
    auto sp = line.find(' ');
    REQUIRE(sp != std::string::npos);
    CHECK(std::stoul(line.substr(0, sp)) <= 255);
    CHECK(line.substr(sp + 1, 6) == "False ");
    seen.insert(line.substr(sp + 7));
    ++files;
  }
  // "." and ".." are renamed (the listing skips dot names above only when
  // they start with '.', so count those separately).
  std::string dots = Run({"bash", "-c",
                          "ls -A '" + m.dir() +
                              "' | grep '^\\.' | grep -v "
                              "'^\\.Trash$' | grep -v "
                              "'^\\.shared$' | wc -l"});
  CHECK(files + std::stoul(dots) == names.size());
  CHECK(seen.size() == files);  // distinct files behind distinct names
  CHECK(m.Unmount() == 0);
}

TEST_CASE("Kernel edge cases: past EOF, empty and huge I/O, size limits",
          "[e2e][hostile]") {
  if (!e2e::HaveFuse()) return;
  EmulatorFixture fx({}, [](emulator::Emulator& emu) {
    // 1 MiB free: a bigger growth is refused at write(2) with ENOSPC.
    emu.store().set_quota_limit(1 << 20);
  });
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes.push_back(static_cast<char>(i * 7));
  fx.Upload("f.bin", bytes);
  testing::TempDir home;
  Mount m(fx, home);
  std::string out = Run(
      {"python3", "-c",
       "import errno, os, sys\n"
       "d = sys.argv[1]\n"
       "def attempt(name, fn):\n"
       "    try: print(name, fn())\n"
       "    except OSError as e: print(name, errno.errorcode[e.errno])\n"
       "fd = os.open(os.path.join(d, 'f.bin'), os.O_RDONLY)\n"
       "attempt('past-eof', lambda: len(os.pread(fd, 4096, 100100)))\n"
       "attempt('at-eof', lambda: len(os.pread(fd, 4096, 100000)))\n"
       "attempt('zero', lambda: len(os.pread(fd, 0, 10)))\n"
       "attempt('huge', lambda: len(os.pread(fd, 256 << 20, 0)))\n"
       "attempt('far', lambda: len(os.pread(fd, 10, 1 << 62)))\n"
       "os.close(fd)\n"
       "w = os.open(os.path.join(d, 'new.bin'), os.O_CREAT | os.O_RDWR)\n"
       "attempt('write-zero', lambda: os.write(w, b''))\n"
       "attempt('write', lambda: os.pwrite(w, b'abc', 0))\n"
       "attempt('past-max', lambda: os.pwrite(w, b'x', 6 << 40))\n"
       "attempt('truncate-past-max', lambda: os.ftruncate(w, 6 << 40))\n"
       "def fill():\n"
       "    off = 3\n"
       "    try:\n"
       "        while off < (2 << 20): off += os.pwrite(w, b'y' * 65536, off)\n"
       "        return 'no error'\n"
       "    except OSError as e:\n"
       "        return errno.errorcode[e.errno] + (' within' if off <= (1 << "
       "20)"
       " else ' late')\n"
       "print('over-quota', fill())\n"
       "attempt('read-back', lambda: os.pread(w, 3, 0))\n"
       "print('size', os.fstat(w).st_size)\n"
       "os.close(w)\n",
       m.dir()});
  auto lines = Lines(out);
  REQUIRE(lines.size() == 12);
  CHECK(lines[0] == "past-eof 0");
  CHECK(lines[1] == "at-eof 0");
  CHECK(lines[2] == "zero 0");
  CHECK(lines[3] == "huge 100000");
  CHECK(lines[4] == "far 0");
  CHECK(lines[5] == "write-zero 0");
  CHECK(lines[6] == "write 3");
  CHECK(lines[7] == "past-max EFBIG");
  CHECK(lines[8] == "truncate-past-max EFBIG");
  CHECK(lines[9] == "over-quota ENOSPC within");
  CHECK(lines[10] == "read-back b'abc'");
  REQUIRE(lines[11].rfind("size ", 0) == 0);
  const std::string size = lines[11].substr(5);
  // What close() accepted reached Drive, within the quota.
  REQUIRE(m.Unmount() == 0);
  auto r = fx.Call("GET", "/drive/v3/files?fields=files(size)&q=" +
                              testing::Q("name = 'new.bin'"));
  REQUIRE(r.json()["files"].size() == 1);
  CHECK(r.json()["files"][0]["size"] == size);
}

}  // namespace
}  // namespace gdmount
