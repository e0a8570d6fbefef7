#include "env/worker_pool.h"

#include <signal.h>

#include <gtest/gtest.h>
#include <llvm/IR/Module.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <atomic>
#include <thread>

#include "ir/action_catalog.h"
#include "ir/pipeline_runner.h"
#include "test_support.h"

namespace cr1::env {
namespace {

std::string pipeline_of(const char* seq) { return (*ir::parse_sequence(seq)).pipeline(); }

uint64_t in_process_count(const llvm::Module& m, const std::string& pipeline) {
  auto clone = llvm::CloneModule(m);
  EXPECT_TRUE(ir::run_pipeline(*clone, pipeline).ok());
  return ir::count_instructions(*clone);
}

TEST(WorkerPool, ResultsMatchInProcessAndKeepOrder) {
  auto prog = test::load_or_die(test::example("wordfreq.c"));
  WorkerPool pool(*prog.module, {.jobs = 2});
  std::vector<EvalRequest> reqs;
  for (const char* s : {"-Oz", "--sroa", "--sroa --gvn", "--mem2reg --instcombine --simplifycfg", "-O1", "--dce"})
    reqs.push_back({.pipeline = pipeline_of(s)});
  auto results = pool.run(reqs);
  ASSERT_EQ(results.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].message;
    EXPECT_EQ(results[i].instruction_count, in_process_count(*prog.module, reqs[i].pipeline)) << reqs[i].pipeline;
    EXPECT_GT(results[i].wall_seconds, 0.0);
  }
}

TEST(WorkerPool, FatalErrorIsACrashAndPoolRecovers) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  WorkerPool pool(*prog.module, {.jobs = 1});
  // LICM without MemorySSA is a fatal LLVM error on any module with a loop.
  std::vector<EvalRequest> reqs = {{.pipeline = "function(sroa)"},
                                   {.pipeline = "function(loop(licm))"},
                                   {.pipeline = "function(sroa)"}};
  auto results = pool.run(reqs);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status, EvalStatus::crashed);
  EXPECT_NE(results[1].message.find("LICM requires MemorySSA"), std::string::npos) << results[1].message;
  ASSERT_TRUE(results[2].ok());
  EXPECT_EQ(results[2].instruction_count, results[0].instruction_count);
  EXPECT_EQ(pool.stats().crashes, 1u);
  EXPECT_EQ(pool.stats().spawns, 2u);
}

TEST(WorkerPool, InvalidPipelineIsTyped) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  WorkerPool pool(*prog.module, {.jobs = 1});
  auto r = pool.run_one({.pipeline = "function(no-such-pass)"});
  EXPECT_EQ(r.status, EvalStatus::invalid_pass);
  EXPECT_NE(r.message.find("no-such-pass"), std::string::npos);
}

TEST(WorkerPool, TimeoutKillsWorkerAndPoolRecovers) {
  test::TempDir dir;
  auto prog = test::load_or_die(dir.file("big.c", test::big_c_program(150)));
  WorkerPool pool(*prog.module, {.jobs = 1, .timeout = std::chrono::milliseconds(30)});
  std::string slow;
  for (int i = 0; i < 20; ++i) slow += (slow.empty() ? "" : ",") + std::string("default<O3>");
  auto r = pool.run_one({.pipeline = slow});
  EXPECT_EQ(r.status, EvalStatus::timeout);
  EXPECT_FALSE(r.cacheable());
  EXPECT_EQ(pool.stats().timeouts, 1u);
  // A fresh worker serves the next request.
  WorkerPool roomy(*prog.module, {.jobs = 1});
  auto ok = roomy.run_one({.pipeline = "function(sroa)"});
  EXPECT_TRUE(ok.ok()) << ok.message;
  auto again = pool.run_one({.pipeline = "function(dce)"});
  // 30 ms may be short on a loaded machine, but the worker must have been replaced.
  EXPECT_TRUE(again.ok() || again.status == EvalStatus::timeout);
  EXPECT_GE(pool.stats().spawns, 2u);
}

TEST(WorkerPool, WorkerKilledWhileIdleIsReplaced) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  WorkerPool pool(*prog.module, {.jobs = 1});
  ASSERT_TRUE(pool.run_one({.pipeline = "function(sroa)"}).ok());
  auto pids = pool.worker_pids();
  ASSERT_EQ(pids.size(), 1u);
  ::kill(pids[0], SIGKILL);
  ::usleep(50'000);
  auto r = pool.run_one({.pipeline = "function(sroa)"});
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_NE(pool.worker_pids()[0], pids[0]);
}

TEST(WorkerPool, SignalDuringEvaluationIsACrashWithEvidence) {
  test::TempDir dir;
  auto prog = test::load_or_die(dir.file("big.c", test::big_c_program(150)));
  WorkerPool pool(*prog.module, {.jobs = 1});
  ASSERT_TRUE(pool.run_one({.pipeline = "function(dce)"}).ok());
  pid_t victim = pool.worker_pids().at(0);
  std::string slow;
  for (int i = 0; i < 30; ++i) slow += (slow.empty() ? "" : ",") + std::string("default<O3>");
  std::thread killer([victim] {
    ::usleep(100'000);
    ::kill(victim, SIGSEGV);
  });
  auto r = pool.run_one({.pipeline = slow});
  killer.join();
  EXPECT_EQ(r.status, EvalStatus::crashed);
  EXPECT_NE(r.message.find("signal 11"), std::string::npos) << r.message;
  EXPECT_TRUE(pool.run_one({.pipeline = "function(dce)"}).ok());
}

TEST(WorkerPool, RecyclesWorkers) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  WorkerPool pool(*prog.module, {.jobs = 1, .recycle_after = 3});
  std::vector<EvalRequest> reqs(7, EvalRequest{.pipeline = "function(sroa)"});
  auto results = pool.run(reqs);
  for (auto& r : results) EXPECT_TRUE(r.ok());
  EXPECT_EQ(pool.stats().spawns, 3u);
}

TEST(WorkerPool, WritesOutputModule) {
  test::TempDir dir;
  auto prog = test::load_or_die(test::example("matrix.c"));
  WorkerPool pool(*prog.module, {.jobs = 1});
  auto out = dir.path / "o.ll";
  auto r = pool.run_one({.pipeline = "default<Oz>", .verify = true, .output_path = out.string()});
  ASSERT_TRUE(r.ok()) << r.message;
  auto back = test::load_or_die(out);
  EXPECT_EQ(back.module->getInstructionCount(), r.instruction_count);
}

}  // namespace
}  // namespace cr1::env
