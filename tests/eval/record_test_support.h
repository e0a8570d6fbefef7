// Synthetic run records for the eval tests.
#pragma once

#include "eval/run_record.h"

namespace cr1::test {

// A run on `program` whose answer and raw best verified to `count`, with -Oz at `oz`.
inline eval::RunRecord fake_run(const std::string& program, const std::string& suite, const std::string& method,
                                uint64_t seed, uint64_t oz, uint64_t count, double seconds = 1.0) {
  eval::RunRecord r;
  r.program = program;
  r.suite = suite;
  r.method = method;
  r.config = method + ";x=1";
  r.seed = seed;
  r.budget = {.max_evaluations = 20, .max_seconds = 0};
  r.jobs = 2;
  r.base_count = oz * 2;
  r.oz_count = oz;
  eval::VerifiedSequence s{{"--sroa", "--gvn"}, "function(sroa<modify-cfg>),function(gvn<>)", count, "ok", count};
  r.best_raw = s;
  if (count < oz) {
    r.answer = s;
  } else {
    r.answer = {{"-Oz"}, "default<Oz>", oz, "ok", oz};
    r.fell_back_to_oz = true;
  }
  r.over_oz_raw = eval::over_oz_fraction(oz, count);
  r.over_oz = std::max(0.0, r.over_oz_raw);
  r.evaluations = 20;
  r.search_seconds = seconds;
  r.wall_seconds = seconds + 0.1;
  // Halfway through, a first improvement to -Oz's count; the final count at the end.
  r.trace = {{5, seconds / 2, oz}, {18, seconds, count}};
  return r;
}

}  // namespace cr1::test
