// The agent's two tools, as in Compiler-R1 (paper §3, "tool-augmented reasoning"):
//   instrcount(filename, optimization_flags)  -> the instruction count of the flags and their OverOz
//   find_best_pass_sequence(filename)          -> FBPS, a GA over walks on the synergy graph
// One C++ API used three ways: by the agent's episode runner, by `compiler-r1 tool NAME --args JSON`,
// and by the HTTP service (`compiler-r1 serve --tools`).
//
// Fixes to the paper's tools: both report improvement_over_oz in PERCENT (the paper mixed fractions and
// percents), and a failure of any kind (unknown pass, unreadable file, crash, timeout, a path outside the
// program root) is {"status":"error","error":"<cause>"}, never a silently unoptimized count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/expected.h"

namespace cr1::agent {

struct ToolboxOptions {
  // Every filename argument is resolved inside this directory; a path that escapes it (`..`, an
  // absolute path elsewhere, a symlink out) is refused.
  std::filesystem::path program_root;
  // The synergy graph FBPS walks on (TSV as written by `compiler-r1 synergy mine`); empty = the graph
  // shipped under data/.
  std::filesystem::path synergy_graph;
  uint64_t fbps_seed = 0;
  size_t fbps_max_evaluations = 0;  // 0 = the paper's budget (population 100 x 10 generations)
  int jobs = 0;                     // worker processes per program; 0 = all cores
  double timeout_seconds = 10;      // per evaluation
  std::filesystem::path cache_path; // persistent SQLite result cache; empty = in memory
  size_t max_programs = 32;         // programs kept loaded (least recently used ones are dropped)
  size_t sessions_per_program = 4;  // concurrent calls on one program that run at once (more wait)
};

class Toolbox {
 public:
  static Expected<std::unique_ptr<Toolbox>> open(ToolboxOptions options);
  virtual ~Toolbox() = default;

  // Runs one tool call by name. Never throws; the result always has "status" ("success" or "error").
  // Thread-safe: calls from many threads (e.g. many episodes at once) overlap in the worker pools.
  virtual nlohmann::json call(std::string_view name, const nlohmann::json& arguments) = 0;

  // {"status":"success","filename":F,"instruction_count":N,"oz_instruction_count":M,"improvement_over_oz":P}
  virtual nlohmann::json instrcount(const std::string& filename, const std::string& optimization_flags) = 0;
  // {"status":"success","best_pass_sequence":[...],"improvement_over_oz":P}
  virtual nlohmann::json find_best_pass_sequence(const std::string& filename) = 0;

  // The tools' JSON schemas in the OpenAI / Qwen function-calling form:
  // [{"type":"function","function":{"name":…,"description":…,"parameters":{JSON schema}}}, …]
  static nlohmann::json schemas();
};

}  // namespace cr1::agent
