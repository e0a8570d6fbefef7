// Aggregates run records into the report's numbers: per suite x method the
// mean OverOz with a 95% CI over programs x seeds, the mean of suite means per
// method (the Compiler-R1 paper's headline), geomean IC(-Oz)/IC, time and
// evaluations per program, and OverOz-vs-time curves from the traces.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eval/run_record.h"
#include "eval/statistics.h"

namespace cr1::eval {

// What a row aggregates: one method under one budget (runs with other budgets
// in the same folder are other rows).
struct MethodKey {
  std::string method;
  search::Budget budget;
  std::string label;   // the method's name, with the budget when the folder has several
  std::string config;  // the tuner's configuration string
};

struct RunStats {
  size_t runs = 0, programs = 0, seeds = 0;
  Interval over_oz, over_oz_raw;          // fractions
  double geomean_oz_ratio = 0;            // geomean of IC(-Oz) / IC(verified answer); > 1 is smaller than -Oz
  double search_seconds_median = 0, search_seconds_p90 = 0;
  double wall_seconds_median = 0;
  double evaluations_mean = 0;
  size_t failures = 0, mismatches = 0, fell_back = 0;
};

struct SuiteRow {
  std::string suite;
  MethodKey method;
  RunStats stats;
};

struct MethodRow {
  MethodKey method;
  size_t suites = 0;
  // over_oz / over_oz_raw are the mean of suite means (CI by Welch-Satterthwaite);
  // everything else is over all runs.
  RunStats stats;
};

// Mean over suites of the mean over runs of the best OverOz (clamped at 0)
// reached by a time, as a step function: (seconds, fraction) points.
struct Curve {
  std::string label;
  std::vector<std::pair<double, double>> points;
};

struct Summary {
  size_t records = 0;
  std::vector<std::string> suites;
  std::vector<SuiteRow> rows;      // by method, then suite
  std::vector<MethodRow> methods;  // registry order
  std::vector<Curve> curves;       // one per method
  std::vector<RunRecord> mismatched;
};

// Records with the same key count once (the first).
Summary summarize(std::span<const RunRecord> records);

// Curve value at time t of one run: the best count so far (0 before any).
double best_over_oz_at(const RunRecord& run, double seconds);

}  // namespace cr1::eval
