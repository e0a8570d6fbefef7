// Synergy mining over a corpus, resumable: each program's result is appended
// as one JSON line to a log (one write per line, so a kill loses at most the
// program in flight), a restarted run skips the programs already in the log,
// and the graph is aggregated from the log of the selected programs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/program_record.h"
#include "env/session.h"
#include "search/synergy/pair_miner.h"
#include "search/synergy/synergy_graph.h"

namespace cr1::search::synergy {

struct MiningProgram {
  std::string uri;
  std::filesystem::path path;  // .bc/.ll/.c
};

// The programs of `corpora`: a corpus folder (manifest.jsonl: its ok records
// of `split`, all when nullopt) or a manifest file, or a plain folder (every
// .c/.cc/.cpp/.ll/.bc under it; folders have no splits). Sorted by uri;
// with `limit`, a sample of that size drawn with `seed`.
Expected<std::vector<MiningProgram>> collect_mining_programs(const std::vector<std::filesystem::path>& corpora,
                                                             std::optional<data::Split> split, size_t limit,
                                                             uint64_t seed);

struct MiningOptions {
  std::filesystem::path out;  // graph TSV
  std::filesystem::path log;  // per-program JSONL; empty = OUT.log.jsonl
  env::SessionOptions session;
  std::vector<std::string> notes;  // provenance written into the graph
  // Called after each program (mined now or found in the log); false stops
  // the run there, as a kill would (tests use it).
  std::function<bool(size_t done, size_t total, const std::string& uri)> on_program;
};

struct MiningSummary {
  size_t programs = 0;  // selected
  size_t mined = 0;     // now
  size_t resumed = 0;   // found in the log
  size_t failed = 0;    // could not be loaded or mined (in the log with an error)
  size_t evaluations = 0;
  double seconds = 0;
  bool stopped = false;  // on_program asked to stop; no graph written
  SynergyGraph graph;
};

std::filesystem::path default_log_path(const std::filesystem::path& out);

Expected<MiningSummary> mine_corpus(const std::vector<MiningProgram>& programs, const MiningOptions& options);

}  // namespace cr1::search::synergy
