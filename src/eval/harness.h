// The evaluation harness: every method with every seed on every program,
// under one budget, each answer re-verified from scratch, one record per run
// appended to RUN_DIR/records.jsonl (resumable), and RUN_DIR/run.json with
// the totals and the CPU utilisation.
//
// Fairness: each run gets its own session with a fresh in-memory result cache
// (seeded only with the -O baselines, which are not search evaluations), so no
// run is sped up by what an earlier method or seed evaluated.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/program_source.h"
#include "eval/run_record.h"
#include "search/tuner.h"
#include "util/expected.h"

namespace cr1::eval {

using MethodRunner =
    std::function<Expected<search::TuneResult>(env::Session& session, const EvalProgram& program, uint64_t seed)>;

struct EvalOptions {
  std::vector<std::string> methods;  // registry names (search/registry.h)
  search::Budget budget;
  std::vector<uint64_t> seeds;
  int jobs = 0;                                // worker processes in all; 0 = all cores
  // Runs in flight at once, each with a pool of max(1, jobs / N) workers and batches planned for all
  // `jobs` (so results don't depend on N); 0 = auto (resolve_parallel_runs).
  int parallel_runs = 0;
  std::chrono::milliseconds timeout{10'000};   // per evaluation
  bool progress = true;                        // progress bar on stderr (when it is a terminal)
  nlohmann::json context;                      // copied into run.json, e.g. the suites and the split
  // Called after each record is appended; returning false stops the run
  // there, as a kill would (tests use it).
  std::function<bool(const RunRecord&)> on_record;
  // Methods that are not registry tuners, e.g. agent policies (`agent eval`): by name, a runner that
  // gets a private session like a tuner and returns its result, which the harness then verifies and
  // records like any other. Named in `methods` like the rest.
  std::map<std::string, MethodRunner> custom_methods;
};

struct EvalError {
  std::string program, message;
};

struct EvalSummary {
  size_t programs = 0;
  size_t planned = 0;   // programs x methods x seeds
  size_t done = 0;      // runs made now
  size_t skipped = 0;   // already in records.jsonl
  size_t mismatches = 0;
  size_t torn_lines = 0;
  std::vector<EvalError> errors;  // programs that could not be loaded or whose -Oz failed
  int jobs = 0, cores = 0;
  int parallel_runs = 1, jobs_per_run = 0;
  double wall_seconds = 0, cpu_seconds = 0, cpu_utilisation = 0;
};

// Known methods, a budget that ends, at least one seed.
Status validate(const EvalOptions& options);

// Runs in flight for `o` with `jobs` workers in all and `runs` runs to make: the explicit
// o.parallel_runs, else 1 for wall-clock budgets and custom methods, else jobs / 4; never more
// than `jobs` or `runs`, at least 1.
int resolve_parallel_runs(const EvalOptions& o, int jobs, size_t runs);

Expected<EvalSummary> run_evaluation(std::span<const EvalProgram> programs, const EvalOptions& options,
                                     const std::filesystem::path& run_dir);

std::filesystem::path run_info_path(const std::filesystem::path& run_dir);  // RUN_DIR/run.json

}  // namespace cr1::eval
