#include "eval/report.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "eval/harness.h"
#include "eval/record_log.h"
#include "eval/svg_chart.h"
#include "util/atomic_file.h"

namespace cr1::eval {
namespace fs = std::filesystem;

namespace {

// OverOz is a fraction in the data and percent for people.
std::string pct(double fraction) { return std::isfinite(fraction) ? fmt::format("{:+.2f}%", fraction * 100) : "–"; }
std::string ci(const Interval& i) { return std::isfinite(i.half_width) ? fmt::format("± {:.2f}", i.half_width * 100) : "–"; }
std::string num(double v, const char* f = "{:.2f}") { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : "–"; }
std::string secs(double v) { return std::isfinite(v) ? fmt::format("{:.2f} s", v) : "–"; }

// A Markdown table cell: no pipes or newlines.
std::string cell(std::string s) {
  for (char& c : s)
    if (c == '|' || c == '\n') c = '/';
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }

std::string run_line(const Summary& s, const nlohmann::json& info) {
  std::string budgets;
  std::set<std::string> seen;
  for (const auto& m : s.methods)
    if (seen.insert(budget_label(m.method.budget)).second) budgets += (budgets.empty() ? "" : ", ") + budget_label(m.method.budget);
  size_t n_programs = 0, n_seeds = 0;
  for (const auto& m : s.methods) n_programs = std::max(n_programs, m.stats.programs), n_seeds = std::max(n_seeds, m.stats.seeds);
  std::string line = fmt::format("{} runs: {} method(s) on {} program(s) in {} suite(s), {} seed(s) each, budget {}.",
                                 s.records, s.methods.size(), n_programs, s.suites.size(), n_seeds, budgets);
  if (info.is_object() && info.contains("cpu_utilisation"))
    line += fmt::format(" Latest invocation: {} worker process(es) on {} core(s), {:.1f} s wall, CPU utilisation {:.0f}%.",
                        info.value("jobs", 0), info.value("cores", 0), info.value("wall_seconds", 0.0),
                        info.value("cpu_utilisation", 0.0) * 100);
  if (info.is_object() && info.value("parallel_runs", 1) > 1)
    line += fmt::format(" {} runs at once, {} worker(s) per run.", info.value("parallel_runs", 1), info.value("jobs_per_run", 0));
  return line;
}

}  // namespace

std::string render_markdown(const Summary& s, const nlohmann::json& info) {
  std::string md = "# Evaluation report\n\n";
  md += run_line(s, info) + "\n\n";
  md +=
      "OverOz = (IC(-Oz) − IC) / IC(-Oz), from instruction counts re-verified in a fresh worker (verifier on, no "
      "cache). *OverOz* is what a user gets: the answer falls back to -Oz when nothing beats it, so it is never "
      "negative. *Raw* is the best sequence the search found, which may lose to -Oz. 95% confidence intervals are "
      "Student-t over programs × seeds; for the mean of suite means, Welch–Satterthwaite over the suites. Geomean is "
      "of IC(-Oz)/IC(answer), so above 1 is smaller than -Oz. Time is the search's wall time per program and seed.\n\n";

  md += "## Mean of suite means\n\n";
  md += "| method | budget | suites | runs | OverOz | 95% CI | raw OverOz | 95% CI | geomean IC(-Oz)/IC | time median | time p90 | evals/program |\n";
  md += "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& m : s.methods) {
    const RunStats& st = m.stats;
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", cell(m.method.label),
                      budget_label(m.method.budget), m.suites, st.runs, pct(st.over_oz.mean), ci(st.over_oz),
                      pct(st.over_oz_raw.mean), ci(st.over_oz_raw), num(st.geomean_oz_ratio, "{:.4f}"),
                      secs(st.search_seconds_median), secs(st.search_seconds_p90), num(st.evaluations_mean, "{:.1f}"));
  }

  md += "\n## Per suite\n\n";
  md += "| suite | method | programs | seeds | n | OverOz | 95% CI | raw OverOz | 95% CI | geomean IC(-Oz)/IC | time median | time p90 | evals/program | fell back to -Oz | failed evals | mismatches |\n";
  md += "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& r : s.rows) {
    const RunStats& st = r.stats;
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", cell(r.suite),
                      cell(r.method.label), st.programs, st.seeds, st.runs, pct(st.over_oz.mean), ci(st.over_oz),
                      pct(st.over_oz_raw.mean), ci(st.over_oz_raw), num(st.geomean_oz_ratio, "{:.4f}"),
                      secs(st.search_seconds_median), secs(st.search_seconds_p90), num(st.evaluations_mean, "{:.1f}"),
                      st.fell_back, st.failures, st.mismatches);
  }

  md += "\n## Plots\n\n";
  md += fmt::format("![Mean of suite means of the best OverOz so far, by search time]({})\n\n", kCurvesSvg);
  md += fmt::format("![Mean of suite means with 95% CI]({})\n\n", kBarsSvg);

  md += "## Verification\n\n";
  if (s.mismatched.empty()) {
    md += fmt::format("All {} answers and raw bests gave their search-time counts when re-run from scratch.\n", s.records);
  } else {
    md += fmt::format("{} run(s) gave other counts when re-run from scratch:\n\n", s.mismatched.size());
    md += "| program | method | seed | answer (search → verified) | raw best (search → verified) |\n|---|---|--:|---|---|\n";
    auto show = [](const VerifiedSequence& v) {
      return fmt::format("{} → {}", v.count, v.verified_ok() ? std::to_string(v.verified_count) : v.verified_status);
    };
    for (const auto& r : s.mismatched)
      md += fmt::format("| {} | {} | {} | {} | {} |\n", cell(r.program), cell(r.method), r.seed, show(r.answer),
                        r.best_raw ? show(*r.best_raw) : "–");
  }

  md += "\n## Methods\n\n";
  for (const auto& m : s.methods) md += fmt::format("- **{}**: `{}`\n", m.method.label, m.method.config);
  return md;
}

std::string render_csv(const Summary& s) {
  std::string out =
      "scope,suite,method,config,budget_evaluations,budget_seconds,runs,programs,seeds,over_oz_pct,over_oz_ci95_pct,"
      "over_oz_raw_pct,over_oz_raw_ci95_pct,geomean_oz_ratio,search_seconds_median,search_seconds_p90,"
      "wall_seconds_median,evaluations_mean,fell_back_to_oz,failed_evaluations,mismatches\n";
  auto row = [&](const char* scope, const std::string& suite, const MethodKey& k, const RunStats& st) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", scope, csv_field(suite),
                       csv_field(k.label), csv_field(k.config), k.budget.max_evaluations, csv_num(k.budget.max_seconds),
                       st.runs, st.programs, st.seeds, csv_num(st.over_oz.mean * 100), csv_num(st.over_oz.half_width * 100),
                       csv_num(st.over_oz_raw.mean * 100), csv_num(st.over_oz_raw.half_width * 100),
                       csv_num(st.geomean_oz_ratio), csv_num(st.search_seconds_median), csv_num(st.search_seconds_p90),
                       csv_num(st.wall_seconds_median), csv_num(st.evaluations_mean), st.fell_back, st.failures,
                       st.mismatches);
  };
  for (const auto& m : s.methods) row("mean_of_suite_means", "", m.method, m.stats);
  for (const auto& r : s.rows) row("suite", r.suite, r.method, r.stats);
  return out;
}

std::string render_time_curves(const Summary& s) {
  LineChart chart{"OverOz by search time (mean of suite means)", "search time (s)", "best OverOz so far (%)", {}, true};
  for (const auto& c : s.curves) {
    Series ser{c.label, {}};
    for (auto [t, v] : c.points) ser.points.emplace_back(t, v * 100);
    chart.series.push_back(std::move(ser));
  }
  return render_line_chart(chart);
}

std::string render_suite_means_bars(const Summary& s) {
  BarChart chart{"Mean of suite means (95% CI)", "OverOz (%)", {}};
  for (const auto& m : s.methods) {
    const Interval& i = m.stats.over_oz;
    chart.bars.push_back({m.method.label, i.mean * 100, i.low() * 100, i.high() * 100});
  }
  return render_bar_chart(chart);
}

std::string render_headline_text(const Summary& s) {
  std::string out = fmt::format("{:<16} {:<18} {:>6} {:>5} {:>9} {:>8} {:>11} {:>10}\n", "method", "budget", "suites", "runs",
                                "OverOz", "95% CI", "raw OverOz", "time med");
  for (const auto& m : s.methods)
    out += fmt::format("{:<16} {:<18} {:>6} {:>5} {:>9} {:>8} {:>11} {:>10}\n", m.method.label, budget_label(m.method.budget),
                       m.suites, m.stats.runs, pct(m.stats.over_oz.mean), ci(m.stats.over_oz), pct(m.stats.over_oz_raw.mean),
                       secs(m.stats.search_seconds_median));
  return out;
}

Expected<ReportFiles> write_report(const fs::path& run_dir, const fs::path& out_dir_given) {
  auto log = RecordLog::read(run_dir);
  if (!log) return log.take_error();
  if (log->records().empty())
    return make_error(ErrorKind::invalid_input, fmt::format("{}: no records yet (records.jsonl is empty)", log->path().string()));
  nlohmann::json info;
  if (auto text = read_file(run_info_path(run_dir))) {
    try {
      info = nlohmann::json::parse(*text);
    } catch (const std::exception&) {
      info = nullptr;  // the records alone make the report
    }
  }
  ReportFiles out;
  out.summary = summarize(log->records());
  fs::path out_dir = out_dir_given.empty() ? run_dir : out_dir_given;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: cannot create: {}", out_dir.string(), ec.message()));
  // Render everything first, so a bug cannot leave half a report behind.
  std::pair<const char*, std::string> files[] = {
      {"report.md", render_markdown(out.summary, info)},
      {"summary.csv", render_csv(out.summary)},
      {kCurvesSvg, render_time_curves(out.summary)},
      {kBarsSvg, render_suite_means_bars(out.summary)},
  };
  for (auto& [name, text] : files) {
    if (auto st = write_file_atomically(out_dir / name, text); !st) return st.take_error();
    out.written.push_back(out_dir / name);
  }
  return out;
}

}  // namespace cr1::eval
