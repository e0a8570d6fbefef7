// SFT trajectories (`compiler-r1 agent make-sft`): episodes of the decision-tree policy on training
// programs, through the real tools, recorded in HF `messages` form (paper §3.2; the paper used
// GA results as proposals and wrote ~800 samples; we aim at 20,000+).
//
//   1. the proposals: each program's best known sequence, from a sequence book file, from earlier
//      `compiler-r1 eval` run dirs, or else found now by a cheap tuner (appended to the book, so a
//      killed run resumes without re-tuning);
//   2. one episode per program with the paper's tree or the multi-candidate variant, many in
//      parallel, one JSONL line each (resumable: programs already in the output are skipped);
//   3. statistics: path shares (A = first proposal accepted, A2… = a later candidate, B = FBPS,
//      oz = -Oz kept) and the mean verified OverOz of the answers, also written to OUT.stats.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/batch_runner.h"
#include "agent/decision_tree_policy.h"
#include "data/program_record.h"
#include "search/tuner.h"

namespace cr1::agent {

struct SftOptions {
  std::filesystem::path corpus;  // a corpus folder (manifest.jsonl); it is also the tools' program root
  std::optional<data::Split> split = data::Split::train;
  size_t limit = 0;              // programs, evenly spread over the split; 0 = all
  std::filesystem::path out;     // episodes, JSONL
  std::filesystem::path book;    // known sequences; empty = OUT.book.jsonl
  std::vector<std::filesystem::path> eval_runs;  // more known sequences

  bool tune_missing = true;      // run the tuner on programs with no known sequence
  std::string tuner = "local";
  std::string actions = "cgym";  // the paper's action space, so that answers stay CompilerGym flags
  search::Budget tuner_budget{200, 0};
  uint64_t seed = 1;

  std::string variant = "paper";  // "paper" (one proposal) or "multi" (K candidates)
  size_t candidates = 3;          // K for "multi"
  double threshold_percent = 0;

  size_t parallel = 2;            // programs in flight (tuning and episodes)
  env::PoolOptions pool;          // for tuning and verification sessions
  EpisodeOptions episode;
  bool progress = true;
};

struct SftSummary {
  size_t programs = 0;
  size_t known_before = 0;   // programs that had a proposal before tuning
  size_t tuned = 0;          // tuned now
  std::vector<std::pair<std::string, std::string>> tune_errors;
  BatchSummary episodes;
  nlohmann::json stats;      // summarize_episodes(out)
};

Status validate(const SftOptions& options);

// `tools` must serve filenames relative to options.corpus (Toolbox with program_root = corpus).
Expected<SftSummary> make_sft(const SftOptions& options, const ToolSet& tools);

// The corpus programs of the split, evenly spread to `limit`, as episode jobs (also used by `agent eval`
// on corpora).
Expected<std::vector<EpisodeJob>> corpus_jobs(const std::filesystem::path& corpus, std::optional<data::Split> split,
                                              size_t limit);

}  // namespace cr1::agent
