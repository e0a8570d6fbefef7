// The report of an evaluation run: report.md (tables and plots), summary.csv
// (the same numbers for machines), overoz_vs_time.svg and
// mean_of_suite_means.svg. Each file is written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/summary.h"
#include "util/expected.h"

namespace cr1::eval {

inline constexpr const char* kCurvesSvg = "overoz_vs_time.svg";
inline constexpr const char* kBarsSvg = "mean_of_suite_means.svg";

// `run_info` is RUN_DIR/run.json (may be null).
std::string render_markdown(const Summary& summary, const nlohmann::json& run_info);
std::string render_csv(const Summary& summary);
std::string render_time_curves(const Summary& summary);
std::string render_suite_means_bars(const Summary& summary);
// A short plain-text table of the mean of suite means, for the terminal.
std::string render_headline_text(const Summary& summary);

struct ReportFiles {
  Summary summary;
  std::vector<std::filesystem::path> written;  // report.md, summary.csv, the SVGs
};

// Reads RUN_DIR (records.jsonl, run.json if present) and writes the report
// into out_dir (RUN_DIR when empty).
Expected<ReportFiles> write_report(const std::filesystem::path& run_dir, const std::filesystem::path& out_dir = {});

}  // namespace cr1::eval
