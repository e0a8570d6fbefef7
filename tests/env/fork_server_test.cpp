#include "env/fork_server.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "env/worker_pool.h"
#include "test_support.h"
#include "util/process_cpu_time.h"

namespace cr1::env {
namespace {

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  char state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

std::vector<EvalRequest> some_requests() {
  return {{.pipeline = "default<Oz>"}, {.pipeline = "function(sroa,gvn)", .verify = true}, {.pipeline = "default<O3>"}};
}

TEST(ForkServer, WorkersComeFromTheServerAndCountLikeDirectForks) {
  auto prog = test::load_or_die(test::example("wordfreq.c"));
  WorkerPool served(*prog.module, {.jobs = 1});
  WorkerPool direct(*prog.module, {.jobs = 1, .fork_server = false});
  auto reqs = some_requests();
  auto a = served.run(reqs), b = direct.run(reqs);
  ASSERT_GT(fork_server_pid(), 0);
  // The small program this build made, not a fork of this (test) process.
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(fork_server_pid()) + "/exe", ec);
  EXPECT_EQ(exe.filename(), "cr1-fork-server") << exe;
  EXPECT_EQ(parent_of(served.worker_pids().at(0)), fork_server_pid());
  EXPECT_EQ(parent_of(direct.worker_pids().at(0)), ::getpid());
  for (size_t i = 0; i < reqs.size(); ++i) {
    ASSERT_TRUE(a[i].ok()) << a[i].message;
    ASSERT_TRUE(b[i].ok()) << b[i].message;
    EXPECT_EQ(a[i].instruction_count, b[i].instruction_count) << reqs[i].pipeline;
  }
}

TEST(ForkServer, ACrashOfAServedWorkerKeepsItsEvidence) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  WorkerPool pool(*prog.module, {.jobs = 1});
  ASSERT_TRUE(pool.run_one({.pipeline = "function(sroa)"}).ok());
  pid_t victim = pool.worker_pids().at(0);
  ASSERT_EQ(parent_of(victim), fork_server_pid());
  std::string slow;
  for (int i = 0; i < 200; ++i) slow += (slow.empty() ? "" : ",") + std::string("default<O3>");
  std::thread killer([victim] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(victim, SIGSEGV);
  });
  auto r = pool.run_one({.pipeline = slow});
  killer.join();
  EXPECT_EQ(r.status, EvalStatus::crashed);
  EXPECT_NE(r.message.find("signal 11"), std::string::npos) << r.message;
  EXPECT_TRUE(pool.run_one({.pipeline = "function(sroa)"}).ok());  // replaced
}

TEST(ForkServer, AHangingServedWorkerIsKilledAtItsDeadline) {
  test::TempDir dir;
  auto prog = test::load_or_die(dir.file("big.c", test::big_c_program(150)));
  WorkerPool pool(*prog.module, {.jobs = 1, .timeout = std::chrono::milliseconds(300)});
  std::string slow;
  for (int i = 0; i < 400; ++i) slow += (slow.empty() ? "" : ",") + std::string("default<O3>");
  auto r = pool.run_one({.pipeline = slow});
  EXPECT_EQ(r.status, EvalStatus::timeout);
  EXPECT_TRUE(pool.run_one({.pipeline = "function(sroa)"}).ok());
}

TEST(ForkServer, TheWorkersCpuTimeCountsAsThisProcesssChildren) {
  test::TempDir dir;
  auto prog = test::load_or_die(dir.file("big.c", test::big_c_program(150)));
  WorkerPool pool(*prog.module, {.jobs = 1});
  ASSERT_TRUE(pool.run_one({.pipeline = "function(sroa)"}).ok());
  const double before = process_cpu_time_now().children_seconds;
  std::string slow;
  for (int i = 0; i < 10; ++i) slow += (slow.empty() ? "" : ",") + std::string("default<O3>");
  auto r = pool.run_one({.pipeline = slow});
  ASSERT_TRUE(r.ok()) << r.message;
  // The worker still runs (not reaped by anyone): its CPU time comes through the server.
  EXPECT_GE(process_cpu_time_now().children_seconds - before, 0.5 * r.pass_seconds) << r.pass_seconds;
}

TEST(ForkServer, ADeadServerIsReplacedAndNoRequestIsLost) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  {
    WorkerPool warm(*prog.module, {.jobs = 1});
    ASSERT_TRUE(warm.run_one({.pipeline = "function(sroa)"}).ok());
  }
  pid_t server = fork_server_pid();
  ASSERT_GT(server, 0);
  ::kill(server, SIGKILL);
  WorkerPool pool(*prog.module, {.jobs = 1});
  auto r = pool.run_one({.pipeline = "default<Oz>"});  // forked here while the server is found dead
  EXPECT_TRUE(r.ok()) << r.message;
  WorkerPool next(*prog.module, {.jobs = 1});
  EXPECT_TRUE(next.run_one({.pipeline = "default<Oz>"}).ok());
  EXPECT_GT(fork_server_pid(), 0);
  EXPECT_NE(fork_server_pid(), server);
  EXPECT_EQ(parent_of(next.worker_pids().at(0)), fork_server_pid());
}

}  // namespace
}  // namespace cr1::env
