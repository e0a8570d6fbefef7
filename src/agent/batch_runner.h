// Many episodes at once: a fixed number in flight on threads, so that the tool calls of different
// episodes overlap in the Toolbox's worker pools (and a batching model adapter sees concurrent
// act() calls). One JSONL line per episode is appended to the output as it finishes, with a single
// write, so a killed run loses at most the episodes in flight and a rerun skips the programs
// already in the file.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/episode.h"
#include "env/session.h"

namespace cr1::agent {

struct EpisodeJob {
  ProgramInfo program;
  // The module, for the verifying session (loaded when the episode starts).
  std::function<Expected<ir::Program>()> load;
};

struct BatchOptions {
  size_t parallel = 2;          // episodes in flight
  EpisodeOptions episode;
  env::SessionOptions verifier; // per episode; pool.jobs 1 is plenty (it runs -Oz and one answer)
  bool progress = true;
  std::string progress_label = "episodes";
  // Called (under the output lock) after each record is written; false stops the run there.
  std::function<bool(const EpisodeRecord&)> on_record;
};

struct BatchSummary {
  size_t planned = 0, done = 0, skipped = 0;
  std::vector<std::pair<std::string, std::string>> errors;  // program, why it could not run
  double wall_seconds = 0;
};

// Appends one line to a JSONL file with a single write (a torn line left by a killed run is ended
// first), so concurrent writers and kills never interleave or lose whole records.
Status append_jsonl_line(const std::filesystem::path& path, const std::string& line);

// Programs already recorded in a JSONL episode file (a torn last line is ignored).
std::vector<std::string> recorded_programs(const std::filesystem::path& jsonl);

Expected<BatchSummary> run_episodes(std::span<const EpisodeJob> jobs, Policy& policy, const ToolSet& tools,
                                    const BatchOptions& options, const std::filesystem::path& out_jsonl);

// Statistics of an episode file: episodes, path counts and shares, mean verified OverOz (percent,
// over all answers with -Oz as 0), mean reward, exact-format share, mean turns, tool calls and times.
Expected<nlohmann::json> summarize_episodes(const std::filesystem::path& jsonl);

}  // namespace cr1::agent
