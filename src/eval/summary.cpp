#include "eval/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "search/registry.h"

namespace cr1::eval {
namespace {

constexpr size_t kMaxCurvePoints = 400;

RunStats stats_of(const std::vector<const RunRecord*>& runs) {
  RunStats s;
  s.runs = runs.size();
  std::set<std::string> programs;
  std::set<uint64_t> seeds;
  std::vector<double> over, raw, ratio, search, wall, evals;
  for (const RunRecord* r : runs) {
    programs.insert(r->program);
    seeds.insert(r->seed);
    over.push_back(r->over_oz);
    raw.push_back(r->over_oz_raw);
    // A failed verification means the user gets -Oz: ratio 1.
    uint64_t ic = r->answer.verified_ok() ? r->answer.verified_count : r->oz_count;
    if (ic > 0 && r->oz_count > 0) ratio.push_back(static_cast<double>(r->oz_count) / static_cast<double>(ic));
    search.push_back(r->search_seconds);
    wall.push_back(r->wall_seconds);
    evals.push_back(static_cast<double>(r->evaluations));
    s.failures += r->failures;
    s.mismatches += r->mismatch;
    s.fell_back += r->fell_back_to_oz;
  }
  s.programs = programs.size();
  s.seeds = seeds.size();
  s.over_oz = confidence_interval(over);
  s.over_oz_raw = confidence_interval(raw);
  s.geomean_oz_ratio = geomean(ratio);
  s.search_seconds_median = median(search);
  s.search_seconds_p90 = percentile(search, 0.9);
  s.wall_seconds_median = median(wall);
  s.evaluations_mean = mean(evals);
  return s;
}

Interval mean_of_suite_means(const std::vector<std::vector<double>>& per_suite) {
  std::vector<GroupSample> groups;
  for (const auto& xs : per_suite) groups.push_back({mean(xs), sample_sd(xs), xs.size()});
  return mean_of_means_interval(groups);
}

std::vector<double> curve_times(const std::vector<const RunRecord*>& runs) {
  std::vector<double> t{0};
  double end = 0;
  for (const RunRecord* r : runs) {
    end = std::max(end, r->search_seconds);
    for (const auto& p : r->trace) t.push_back(p.seconds);
  }
  t.push_back(end);
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  if (t.size() > kMaxCurvePoints) {
    // Too many steps to draw: sample the step function on a regular grid.
    std::vector<double> grid;
    for (size_t i = 0; i < kMaxCurvePoints; ++i) grid.push_back(end * static_cast<double>(i) / (kMaxCurvePoints - 1));
    t = std::move(grid);
  }
  return t;
}

}  // namespace

double best_over_oz_at(const RunRecord& run, double seconds) {
  // Trace points are improvements in time order: the last one at or before t is the best so far.
  auto it = std::upper_bound(run.trace.begin(), run.trace.end(), seconds,
                             [](double t, const search::TracePoint& p) { return t < p.seconds; });
  if (it == run.trace.begin()) return 0;
  return std::max(0.0, over_oz_fraction(run.oz_count, std::prev(it)->best_count));
}

Summary summarize(std::span<const RunRecord> records) {
  Summary out;
  // Distinct runs, grouped by (method, budget) and suite.
  std::unordered_set<std::string> keys;
  using Group = std::pair<std::string, std::pair<size_t, double>>;
  std::map<Group, std::map<std::string, std::vector<const RunRecord*>>> groups;
  std::map<Group, std::string> configs;
  std::set<std::string> suites;
  for (const auto& r : records) {
    if (!keys.insert(r.key()).second) continue;
    ++out.records;
    Group g{r.method, {r.budget.max_evaluations, r.budget.max_seconds}};
    groups[g][r.suite].push_back(&r);
    configs.emplace(g, r.config);
    suites.insert(r.suite);
    if (r.mismatch) out.mismatched.push_back(r);
  }
  out.suites.assign(suites.begin(), suites.end());

  // Registry order first (the order methods are listed everywhere), then by name.
  std::map<std::string, int> order;
  for (const auto& info : search::tuner_names()) order.emplace(info.name, info.order);
  std::vector<Group> keys_sorted;
  std::map<std::string, int> budgets_per_method;
  for (const auto& [g, _] : groups) {
    keys_sorted.push_back(g);
    ++budgets_per_method[g.first];
  }
  std::stable_sort(keys_sorted.begin(), keys_sorted.end(), [&](const Group& a, const Group& b) {
    int oa = order.contains(a.first) ? order[a.first] : 1 << 30, ob = order.contains(b.first) ? order[b.first] : 1 << 30;
    return std::tie(oa, a) < std::tie(ob, b);
  });

  for (const Group& g : keys_sorted) {
    const auto& by_suite = groups[g];
    MethodKey key{g.first, {g.second.first, g.second.second}, g.first, configs[g]};
    if (budgets_per_method[g.first] > 1) key.label = g.first + " @ " + budget_label(key.budget);

    std::vector<const RunRecord*> all;
    std::vector<std::vector<double>> over, raw;
    for (const auto& [suite, runs] : by_suite) {
      out.rows.push_back({suite, key, stats_of(runs)});
      all.insert(all.end(), runs.begin(), runs.end());
      over.emplace_back();
      raw.emplace_back();
      for (const RunRecord* r : runs) {
        over.back().push_back(r->over_oz);
        raw.back().push_back(r->over_oz_raw);
      }
    }
    MethodRow m{key, by_suite.size(), stats_of(all)};
    m.stats.over_oz = mean_of_suite_means(over);
    m.stats.over_oz_raw = mean_of_suite_means(raw);
    out.methods.push_back(m);

    Curve c{key.label, {}};
    for (double t : curve_times(all)) {
      double sum = 0;
      for (const auto& [suite, runs] : by_suite) {
        double s = 0;
        for (const RunRecord* r : runs) s += best_over_oz_at(*r, t);
        sum += s / static_cast<double>(runs.size());
      }
      c.points.emplace_back(t, sum / static_cast<double>(by_suite.size()));
    }
    out.curves.push_back(std::move(c));
  }
  return out;
}

}  // namespace cr1::eval
