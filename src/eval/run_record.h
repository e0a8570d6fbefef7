// One evaluation run: a method with one seed and one budget on one program,
// with the answer re-verified from scratch. records.jsonl holds one per line;
// the report is computed from these alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "search/tuner.h"

namespace cr1::eval {

// A sequence as found by the search, and what a fresh worker (verifier on,
// no cache) made of it.
struct VerifiedSequence {
  std::vector<std::string> flags;  // legacy flags where they exist
  std::string pipeline;            // text for opt -passes=
  uint64_t count = 0;              // at search time
  std::string verified_status;     // env::eval_status_name, e.g. "ok", "crashed"
  uint64_t verified_count = 0;     // valid when verified_status == "ok"
  bool verified_ok() const { return verified_status == "ok"; }
  bool matches() const { return verified_ok() && verified_count == count; }
};

struct RunRecord {
  std::string program;  // uri
  std::string suite;
  std::string method;   // registry name, e.g. "rio"
  std::string config;   // the tuner's name with its configuration, e.g. "rio;len=10-30"
  uint64_t seed = 0;
  search::Budget budget;
  int jobs = 0;           // worker processes of this run's pool
  int parallel_runs = 1;  // runs in flight at once (sharing the machine) while it ran

  uint64_t base_count = 0;  // IC as loaded
  uint64_t oz_count = 0;    // IC(-Oz)
  VerifiedSequence answer;  // never worse than -Oz at search time (falls back to -Oz itself)
  bool fell_back_to_oz = false;
  std::optional<VerifiedSequence> best_raw;  // absent when every evaluation failed
  bool mismatch = false;    // a verified count differs from the search-time count

  // From the verified counts, as fractions: clamped at 0 (what a user gets)
  // and raw (the search's best, which may lose to -Oz).
  double over_oz = 0;
  double over_oz_raw = 0;

  size_t evaluations = 0;
  size_t failures = 0;
  double search_seconds = 0;  // inside tune()
  double wall_seconds = 0;    // load + tune + verify
  std::vector<search::TracePoint> trace;  // improvements: evaluations, seconds, best count

  // Identity for resuming: program, method, seed and budget.
  std::string key() const;
};

std::string run_key(const std::string& program, const std::string& method, uint64_t seed, const search::Budget& budget);
// "200 evals", "10 s", "200 evals / 10 s".
std::string budget_label(const search::Budget& budget);

// OverOz of `count` against `oz` as a fraction (0 when oz is 0); defined beside EvalResult.
using env::over_oz_fraction;

void to_json(nlohmann::json& j, const RunRecord& r);
void from_json(const nlohmann::json& j, RunRecord& r);

}  // namespace cr1::eval
