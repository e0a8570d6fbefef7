// `compiler-r1 eval --suite DIR --method rio,... --budget-evals N --seeds K
// --out RUN_DIR`: every method with every seed on every program, each answer
// re-verified; records go to RUN_DIR/records.jsonl (a rerun resumes).
#include <algorithm>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "eval/harness.h"
#include "eval/record_log.h"
#include "eval/report.h"
#include "search/registry.h"

namespace cr1::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> suites, methods;
  std::string split, out, recipe = "Oz";
  long long budget_evals = 0, seeds = 1;
  size_t limit = 0;  // programs per suite; 0 = all
  double budget_seconds = 0, timeout = 10;
  int jobs = 0, parallel_runs = 0;
  bool json = false;
};

std::vector<std::string> expand_methods(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& m : given) {
    if (m == "all") {
      for (const auto& info : search::tuner_names()) out.push_back(info.name);
    } else if (!m.empty()) {
      out.push_back(m);
    }
  }
  // Each method once, in the order given.
  std::vector<std::string> unique;
  for (const auto& m : out)
    if (std::find(unique.begin(), unique.end(), m) == unique.end()) unique.push_back(m);
  if (unique.empty()) throw CliError("--method: no method given");
  return unique;
}

void run_eval(const EvalArgs& a, bool evals_given, bool seconds_given) {
  eval::EvalOptions o;
  o.methods = expand_methods(a.methods);
  for (const auto& m : o.methods) unwrap(search::parse_method(m));  // lists the known methods
  if (!evals_given && !seconds_given) throw CliError("bad budget: give --budget-evals N and/or --budget-seconds S");
  if (evals_given && a.budget_evals <= 0)
    throw CliError(fmt::format("bad budget: --budget-evals must be a positive count, got {}", a.budget_evals));
  if (seconds_given && !(a.budget_seconds > 0))
    throw CliError(fmt::format("bad budget: --budget-seconds must be positive, got {}", a.budget_seconds));
  if (a.seeds <= 0) throw CliError(fmt::format("--seeds must be at least 1, got {}", a.seeds));
  if (a.jobs < 0) throw CliError(fmt::format("--jobs must be positive, got {}", a.jobs));
  if (a.parallel_runs < 0) throw CliError(fmt::format("--parallel-runs must be positive, got {}", a.parallel_runs));
  if (!(a.timeout > 0)) throw CliError(fmt::format("--timeout must be positive, got {}", a.timeout));
  o.budget.max_evaluations = static_cast<size_t>(std::max(0LL, a.budget_evals));
  o.budget.max_seconds = seconds_given ? a.budget_seconds : 0;
  for (long long s = 1; s <= a.seeds; ++s) o.seeds.push_back(static_cast<uint64_t>(s));
  o.jobs = a.jobs;
  o.parallel_runs = a.parallel_runs;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout * 1000));
  o.progress = !a.json;

  std::optional<data::Split> split;
  if (!a.split.empty()) {
    split = data::parse_split(a.split);
    if (!split) throw CliError(fmt::format("--split: '{}' is not train, valid or test", a.split));
  }
  std::vector<std::filesystem::path> suites(a.suites.begin(), a.suites.end());
  auto programs = unwrap(eval::collect_programs(suites, split, unwrap(ir::parse_recipe(a.recipe))));
  if (a.limit > 0) programs = eval::sample_per_suite(std::move(programs), a.limit);
  o.context = {{"suites", a.suites}, {"split", a.split.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.split)}};

  auto s = unwrap(eval::run_evaluation(programs, o, a.out), kExitFailure);
  auto log = unwrap(eval::RecordLog::read(a.out), kExitFailure);
  auto summary = eval::summarize(log.records());
  if (a.json) {
    print_json({{"run_dir", a.out},
                {"programs", s.programs},
                {"runs", {{"planned", s.planned}, {"done", s.done}, {"skipped", s.skipped}, {"errors", s.errors.size()}}},
                {"mismatches", s.mismatches},
                {"jobs", s.jobs},
                {"parallel_runs", s.parallel_runs},
                {"jobs_per_run", s.jobs_per_run},
                {"wall_seconds", s.wall_seconds},
                {"cpu_seconds", s.cpu_seconds},
                {"cpu_utilisation", s.cpu_utilisation}});
  } else {
    fmt::print("eval: {} run(s) made, {} already done, of {} ({} programs x {} methods x {} seeds) in {:.1f} s\n", s.done,
               s.skipped, s.planned, s.programs, o.methods.size(), o.seeds.size(), s.wall_seconds);
    std::string workers = s.parallel_runs > 1 ? fmt::format("{} runs at once, {}/{} = {} workers per run",
                                                            s.parallel_runs, s.jobs, s.parallel_runs, s.jobs_per_run)
                                              : fmt::format("{} worker processes", s.jobs);
    fmt::print("CPU utilisation {:.0f}% ({}, {} cores); {} verification mismatch(es)\n", s.cpu_utilisation * 100,
               workers, s.cores, s.mismatches);
    fmt::print("records: {}\n\n{}", log.path().string(), eval::render_headline_text(summary));
    fmt::print("\nreport: compiler-r1 report {}\n", a.out);
  }
  if (!s.errors.empty())
    throw CliError(fmt::format("{} program(s) could not be evaluated; first: {}: {}", s.errors.size(),
                               s.errors.front().program, s.errors.front().message),
                   kExitFailure);
}

void add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Run search methods over suites with seeds; records for `report`");
  cmd->add_option("--suite", a->suites,
                  "Corpus folder or its manifest.jsonl, or a folder of .c/.cc/.ll/.bc files (repeatable)")
      ->required();
  cmd->add_option("--split", a->split, "Only this split of a corpus: train | valid | test (default: all)");
  cmd->add_option("--limit", a->limit, "At most N programs per suite, evenly spread over it (default: all)");
  cmd->add_option("--method", a->methods, "Method(s), comma-separated or repeated; `all` for every registered one; NAME@extended searches the "
                  "extended action space (-Oz macro + newer passes)")
      ->delimiter(',')
      ->required();
  auto* evals = cmd->add_option("--budget-evals", a->budget_evals, "Distinct sequences evaluated per run");
  auto* seconds = cmd->add_option("--budget-seconds", a->budget_seconds, "Wall-clock seconds per run");
  cmd->add_option("--seeds", a->seeds, "Seeds 1..K per (program, method) (default 1)");
  cmd->add_option("-j,--jobs", a->jobs, "Worker processes (default: all cores)");
  cmd->add_option("--parallel-runs", a->parallel_runs,
                  "Runs in flight at once, each with jobs/N workers (default: jobs/4 for --budget-evals, 1 with "
                  "--budget-seconds, where a run's seconds are then shared ones)");
  cmd->add_option("--timeout", a->timeout, "Seconds before an evaluation is killed (default 10)");
  cmd->add_option("--recipe", a->recipe, "How sources become IR: Oz (default) or O0");
  cmd->add_option("--out", a->out, "Run folder (records.jsonl, run.json); an existing one is resumed")->required();
  cmd->add_flag("--json", a->json, "Machine-readable summary, no progress bar");
  cmd->callback([a, evals, seconds] { run_eval(*a, evals->count() > 0, seconds->count() > 0); });
}

const CommandRegistration kRegistration{70, add_eval_command};

}  // namespace
}  // namespace cr1::cli
