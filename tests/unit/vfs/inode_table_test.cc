#include "vfs/inode_table.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace gdmount::vfs {
namespace {

TEST_CASE("Lookup counting: refs, forget, drop at zero", "[unit][vfs]") {
  InodeTable t("rootid");
  CHECK(t.IdOf(kRootIno) == "rootid");
  t.Ref(7, "a");
  t.Ref(7, "a");
  t.Ref(9, "b");
  CHECK(t.LookupCount(7) == 2);
  CHECK_FALSE(t.Forget(7, 1));
  CHECK(t.IdOf(7) == "a");
  CHECK(t.Forget(7, 1));  // dropped at zero
  CHECK_FALSE(t.IdOf(7));
  CHECK(t.Forget(9, 1));
  CHECK(t.size() == 1);  // only the root
  // The root is never dropped.
  t.Ref(kRootIno, "rootid");
  CHECK_FALSE(t.Forget(kRootIno, 2));
  CHECK(t.IdOf(kRootIno) == "rootid");
}

TEST_CASE("An open handle keeps a forgotten inode alive", "[unit][vfs]") {
  InodeTable t("r");
  t.Ref(5, "f");
  t.OpenHandle(5);
  CHECK_FALSE(t.Forget(5, 1));
  CHECK(t.IdOf(5) == "f");
  CHECK(t.CloseHandle(5));
  CHECK_FALSE(t.IdOf(5));
}

TEST_CASE("Concurrent refs and forgets balance out", "[unit][vfs]") {
  InodeTable t("r");
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k)
    threads.emplace_back([&t] {
      for (int i = 0; i < 10000; ++i) {
        t.Ref(42, "x");
        t.Forget(42, 1);
      }
    });
  for (auto& th : threads) th.join();
  CHECK_FALSE(t.IdOf(42));
  CHECK(t.size() == 1);
}

TEST_CASE("Forgetting more than was referenced is a broken invariant",
          "[unit][vfs]") {
  // Checked in a child process: the table aborts by design.
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGABRT, SIG_DFL);  // not Catch's handler: just die
    InodeTable t("r");
    t.Ref(3, "a");
    t.Forget(3, 2);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}

}  // namespace
}  // namespace gdmount::vfs
