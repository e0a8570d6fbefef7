#include "eval/summary.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "eval/record_test_support.h"
#include "eval/report.h"
#include "eval/svg_chart.h"
#include "eval/xml_check.h"

namespace cr1::eval {
namespace {

using test::fake_run;

// Suite A: rio 10%, 5% on a1 and 0% (fell back), -5% raw on a2; suite B: rio 20%, 10%; ga once on a1.
std::vector<RunRecord> sample_runs() {
  return {
      fake_run("a1", "A", "rio", 1, 100, 90),  fake_run("a1", "A", "rio", 2, 100, 95),
      fake_run("a2", "A", "rio", 1, 200, 200), fake_run("a2", "A", "rio", 2, 200, 210),
      fake_run("b1", "B", "rio", 1, 50, 40),   fake_run("b1", "B", "rio", 2, 50, 45),
      fake_run("a1", "A", "ga", 1, 100, 80),
  };
}

const MethodRow& method(const Summary& s, const std::string& name) {
  auto it = std::find_if(s.methods.begin(), s.methods.end(), [&](auto& m) { return m.method.method == name; });
  if (it == s.methods.end()) throw std::runtime_error("no method " + name);
  return *it;
}

const SuiteRow& row(const Summary& s, const std::string& suite, const std::string& name) {
  auto it = std::find_if(s.rows.begin(), s.rows.end(), [&](auto& r) { return r.suite == suite && r.method.method == name; });
  if (it == s.rows.end()) throw std::runtime_error("no row " + suite + " " + name);
  return *it;
}

TEST(Summary, PerSuiteAndMeanOfSuiteMeans) {
  auto runs = sample_runs();
  runs.push_back(runs.front());  // a duplicate line counts once
  auto s = summarize(runs);
  EXPECT_EQ(s.records, 7u);
  EXPECT_EQ(s.suites, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(s.rows.size(), 3u);

  const auto& a = row(s, "A", "rio").stats;
  EXPECT_EQ(a.runs, 4u);
  EXPECT_EQ(a.programs, 2u);
  EXPECT_EQ(a.seeds, 2u);
  EXPECT_NEAR(a.over_oz.mean, (0.10 + 0.05 + 0 + 0) / 4, 1e-12);
  EXPECT_NEAR(a.over_oz_raw.mean, (0.10 + 0.05 + 0 - 0.05) / 4, 1e-12);
  EXPECT_EQ(a.fell_back, 2u);
  const auto& b = row(s, "B", "rio").stats;
  EXPECT_NEAR(b.over_oz.mean, 0.15, 1e-12);
  // sd of {0.2, 0.1} is 0.0707; t(1) = 12.706: 12.706 * 0.0707 / sqrt(2) = 0.6353
  EXPECT_NEAR(b.over_oz.half_width, 12.706 * 0.05, 1e-9);
  EXPECT_NEAR(b.geomean_oz_ratio, std::sqrt(50.0 / 40 * 50.0 / 45), 1e-12);
  EXPECT_NEAR(b.search_seconds_median, 1.0, 1e-12);

  const auto& rio = method(s, "rio");
  EXPECT_EQ(rio.suites, 2u);
  EXPECT_EQ(rio.stats.runs, 6u);
  EXPECT_NEAR(rio.stats.over_oz.mean, (0.0375 + 0.15) / 2, 1e-12);  // not the mean of the six runs (0.075)
  EXPECT_TRUE(std::isfinite(rio.stats.over_oz.half_width));
  EXPECT_EQ(rio.method.label, "rio");
  const auto& ga = method(s, "ga");
  EXPECT_NEAR(ga.stats.over_oz.mean, 0.2, 1e-12);
  EXPECT_TRUE(std::isnan(ga.stats.over_oz.half_width));  // one run
}

TEST(Summary, CurvesAreMeanOfSuiteMeansOfBestSoFar) {
  auto runs = sample_runs();
  EXPECT_DOUBLE_EQ(best_over_oz_at(runs[0], 0.0), 0);
  EXPECT_DOUBLE_EQ(best_over_oz_at(runs[0], 0.5), 0);  // first improvement is -Oz's count
  EXPECT_NEAR(best_over_oz_at(runs[0], 1.0), 0.1, 1e-12);
  EXPECT_NEAR(best_over_oz_at(runs[0], 99), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(best_over_oz_at(runs[3], 99), 0);  // worse than -Oz counts as -Oz

  auto s = summarize(runs);
  auto it = std::find_if(s.curves.begin(), s.curves.end(), [](auto& c) { return c.label == "rio"; });
  ASSERT_NE(it, s.curves.end());
  ASSERT_EQ(it->points.size(), 3u);  // 0, 0.5, 1.0
  EXPECT_DOUBLE_EQ(it->points[0].first, 0);
  EXPECT_DOUBLE_EQ(it->points[1].second, 0);
  EXPECT_NEAR(it->points[2].second, (0.0375 + 0.15) / 2, 1e-12);  // ends at the headline number
}

TEST(Summary, SeveralBudgetsAreSeparateRows) {
  auto runs = sample_runs();
  auto more = fake_run("a1", "A", "rio", 1, 100, 85);
  more.budget.max_evaluations = 50;
  runs.push_back(more);
  auto s = summarize(runs);
  size_t rio_rows = std::count_if(s.methods.begin(), s.methods.end(), [](auto& m) { return m.method.method == "rio"; });
  EXPECT_EQ(rio_rows, 2u);
  EXPECT_TRUE(std::any_of(s.methods.begin(), s.methods.end(), [](auto& m) { return m.method.label == "rio @ 50 evals"; }));
}

TEST(Report, MarkdownCsvAndSvg) {
  auto runs = sample_runs();
  runs[1].mismatch = true;
  runs[1].answer.verified_count = 96;
  auto s = summarize(runs);
  auto md = render_markdown(s, nlohmann::json{{"jobs", 2}, {"cores", 2}, {"wall_seconds", 3.0}, {"cpu_utilisation", 0.8}});
  EXPECT_NE(md.find("## Mean of suite means"), std::string::npos);
  EXPECT_NE(md.find("| rio | 20 evals | 2 | 6 | +9.3"), std::string::npos) << md;
  EXPECT_NE(md.find("| A | rio | 2 | 2 | 4 | +3.75% |"), std::string::npos) << md;
  EXPECT_NE(md.find("| B | rio | 1 | 2 | 2 | +15.00% | ± 63.53 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| A | ga |"), std::string::npos);
  EXPECT_NE(md.find("CPU utilisation 80%"), std::string::npos);
  EXPECT_NE(md.find("| a1 | rio | 2 | 95 → 96 |"), std::string::npos) << md;  // the mismatch is listed
  EXPECT_NE(md.find("`rio;x=1`"), std::string::npos);

  auto csv = render_csv(s);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 + 3);
  EXPECT_NE(csv.find("mean_of_suite_means,,rio,rio;x=1,20,0,6,3,2,9.375,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("suite,B,rio,"), std::string::npos);

  for (const auto& svg : {render_time_curves(s), render_suite_means_bars(s)}) {
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_EQ(test::xml_problem(svg), "") << svg;
    EXPECT_NE(svg.find("rio"), std::string::npos);
  }
  EXPECT_NE(render_time_curves(s).find("<polyline"), std::string::npos);
  EXPECT_NE(render_suite_means_bars(s).find("<path"), std::string::npos);  // the CI whisker
}

TEST(SvgChart, EscapesTextAndTicksAreRound) {
  LineChart c{"a <b> & \"c\"", "x", "y", {{"s&p", {{0, 0}, {1, 2}}}}, true};
  auto svg = render_line_chart(c);
  EXPECT_EQ(test::xml_problem(svg), "") << svg;
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(test::xml_problem("<svg><g></svg>"), "");  // the checker catches what it should
  EXPECT_EQ(nice_ticks(0, 9.3), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(-5, 5).front(), -6);
  auto empty = render_bar_chart({"none", "y", {}});
  EXPECT_EQ(test::xml_problem(empty), "");
}

}  // namespace
}  // namespace cr1::eval
