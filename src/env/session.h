// A session is one program plus what is known about it (hash, baselines), and
// answers "what does sequence S give?" through the worker pool and the cache.
// The program (ir::Program) and what is done to it (this class) stay apart,
// like CompilerGym's Benchmark and LlvmSession.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "env/eval_result.h"
#include "env/result_cache.h"
#include "env/worker_pool.h"
#include "ir/action_catalog.h"
#include "ir/pipeline_runner.h"
#include "ir/program_loader.h"

namespace cr1::env {

struct SessionOptions {
  PoolOptions pool;
  // Shared cache (e.g. a persistent one for many sessions); a private
  // in-memory cache is used when null.
  std::shared_ptr<ResultCache> cache;
  // Workers a search sizes its batches for (search::SearchContext::batch_size); 0 = the pool's own.
  // Runs that share the machine (eval --parallel-runs) plan for the whole -j, so a seeded search takes
  // the same path whether it runs alone or beside others.
  int planned_jobs = 0;
};

using ProgressFn = std::function<void(size_t done, size_t total)>;

class Session {
 public:
  static Expected<std::unique_ptr<Session>> create(ir::Program program, SessionOptions options = {});

  const ir::Program& program() const { return program_; }
  const std::string& module_hash() const { return hash_; }
  // Instructions of the program as loaded.
  uint64_t base_count() const { return base_count_; }

  // Evaluates sequences (cached, deduplicated, in parallel over the pool).
  std::vector<EvalResult> evaluate(std::span<const ir::PassSequence> sequences, const ProgressFn& progress = {});
  EvalResult evaluate(const ir::PassSequence& sequence);
  std::vector<EvalResult> evaluate_pipelines(std::span<const std::string> pipelines, const ProgressFn& progress = {});

  // default<OX> baselines, computed once on first use (all missing levels in one batch).
  const EvalResult& baseline(ir::OptLevel level);
  // IC(-Oz); an error when -Oz itself failed. Runs -Oz alone: a tool call or a verification that
  // only needs OverOz should not pay for -O1..-O3 and -Os too.
  Expected<uint64_t> oz_count();
  // (IC(-Oz) - IC) / IC(-Oz), as a fraction. Callers print it in percent.
  Expected<double> over_oz(uint64_t instruction_count);

  // Re-evaluates `sequence` from scratch in a fresh worker process (verifier
  // on, no cache), e.g. to confirm a search's answer; when `out` is given the
  // optimized module is written there (.bc or .ll) atomically.
  EvalResult verify(const ir::PassSequence& sequence, const std::filesystem::path& out = {});
  EvalResult apply_and_write(const ir::PassSequence& sequence, const std::filesystem::path& out) {
    return verify(sequence, out);
  }

  // -Oz and `sequence` re-evaluated from scratch, one after the other in ONE fresh worker process
  // (verifier on for the answer, no cache, the session's own -Oz untouched): what an agent's answer
  // is scored by, at the cost of one process instead of two.
  struct Verification {
    EvalResult oz, answer;
  };
  Verification verify_with_oz(const ir::PassSequence& sequence);

  WorkerPool& pool() { return *pool_; }
  int planned_jobs() const { return options_.planned_jobs > 0 ? options_.planned_jobs : pool_->jobs(); }
  ResultCache& cache() { return *cache_; }

 private:
  Session(ir::Program program, SessionOptions options);

  ir::Program program_;
  std::string hash_;
  uint64_t base_count_ = 0;
  std::shared_ptr<ResultCache> cache_;
  std::unique_ptr<WorkerPool> pool_;
  std::map<ir::OptLevel, EvalResult> baselines_;
  SessionOptions options_;
};

}  // namespace cr1::env
