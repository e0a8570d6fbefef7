#include "env/child_reaper.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "env/worker_pool.h"
#include "test_support.h"

namespace cr1::env {
namespace {

// Polls reap_exited() until nothing is pending (killed children die within milliseconds).
bool drained(std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (reap_exited() != 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST(ChildReaper, KilledChildIsReapedLaterWithoutBlocking) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (;;) ::pause();
  }
  ::kill(pid, SIGKILL);
  reap_later(pid);
  ASSERT_TRUE(drained());
  // Reaped: no zombie left, and the pid is no child of ours any more.
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ChildReaper, ALiveChildStaysPending) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (;;) ::pause();
  }
  reap_later(pid);
  EXPECT_GE(reap_exited(), 1u);  // still running: not reaped, not dropped
  EXPECT_EQ(::kill(pid, 0), 0);
  ::kill(pid, SIGKILL);
  EXPECT_TRUE(drained());
}

TEST(ChildReaper, PoolWorkersAreGoneAfterThePoolWithoutAWait) {
  auto program = test::load_or_die(test::example("matrix.c"));
  std::vector<pid_t> pids;
  {
    WorkerPool pool(*program.module, {.jobs = 2, .fork_server = false});  // our own children
    std::vector<EvalRequest> reqs(4, EvalRequest{.pipeline = "default<Oz>"});
    for (const auto& r : pool.run(reqs)) ASSERT_TRUE(r.ok()) << r.message;
    pids = pool.worker_pids();
    ASSERT_EQ(pids.size(), 2u);
  }
  ASSERT_TRUE(drained());
  for (pid_t pid : pids) {
    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1);  // neither running nor a zombie
    EXPECT_EQ(errno, ESRCH);
  }
}

}  // namespace
}  // namespace cr1::env
