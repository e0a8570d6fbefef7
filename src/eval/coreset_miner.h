// Mining the coreset (search/coreset.h) from the training split: the candidates are the verified best
// sequences of earlier `compiler-r1 eval` runs on training programs; every candidate is evaluated on
// every program of a sample (one batch per program through the worker pool), and the greedy cover
// picks K. The matrix rows go to OUT.matrix.jsonl as they are made, so a killed mining run resumes.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "eval/program_source.h"
#include "ir/action_catalog.h"
#include "search/coreset.h"
#include "util/expected.h"

namespace cr1::eval {

struct CoresetMineOptions {
  size_t k = 50;
  int jobs = 0;                                // worker processes; 0 = all cores
  std::chrono::milliseconds timeout{10'000};   // per evaluation
  bool progress = true;
};

struct CoresetMineResult {
  std::vector<ir::PassSequence> coreset;
  search::CoresetSelection selection;
  size_t candidates = 0, programs = 0, programs_failed = 0, evaluations = 0;
  double seconds = 0;
  // Mean over programs of the best candidate's gain: what all candidates together reach.
  double oracle_mean_gain = 0;
};

// Distinct best sequences (raw, verified ok, beating -Oz on their own program) of the runs in `run_dirs`,
// in record order.
Expected<std::vector<ir::PassSequence>> coreset_candidates(std::span<const std::filesystem::path> run_dirs);

// Evaluates `candidates` on `programs` (resuming from OUT.matrix.jsonl), selects, and writes `out`.
Expected<CoresetMineResult> mine_coreset(std::span<const ir::PassSequence> candidates,
                                         std::span<const EvalProgram> programs, const CoresetMineOptions& options,
                                         const std::filesystem::path& out);

}  // namespace cr1::eval
