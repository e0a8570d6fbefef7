// `compiler-r1 coreset mine --candidates RUN_DIR… --suite CORPUS… --split train -K 50 --out FILE`: the
// coreset of search/coreset.h, mined from earlier eval runs on training programs (see README, "Coreset").
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "eval/coreset_miner.h"

namespace cr1::cli {
namespace {

struct CoresetArgs {
  std::vector<std::string> candidates, suites;
  std::string split = "train", out, recipe = "Oz";
  size_t k = 50, limit = 0;
  int jobs = 0;
  double timeout = 10;
  bool json = false;
};

void run_mine(const CoresetArgs& a) {
  std::vector<std::filesystem::path> runs(a.candidates.begin(), a.candidates.end());
  auto candidates = unwrap(eval::coreset_candidates(runs));
  std::optional<data::Split> split;
  if (!a.split.empty() && a.split != "all") {
    split = data::parse_split(a.split);
    if (!split) throw CliError(fmt::format("--split: '{}' is not train, valid, test or all", a.split));
  }
  std::vector<std::filesystem::path> suites(a.suites.begin(), a.suites.end());
  auto programs = unwrap(eval::collect_programs(suites, split, unwrap(ir::parse_recipe(a.recipe))));
  if (a.limit > 0) programs = eval::sample_per_suite(std::move(programs), a.limit);
  if (a.k == 0) throw CliError("-K: must be at least 1");

  eval::CoresetMineOptions o{.k = a.k, .jobs = a.jobs,
                             .timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout * 1000)),
                             .progress = !a.json};
  auto r = unwrap(eval::mine_coreset(candidates, programs, o, a.out), kExitFailure);
  double final_gain = r.selection.mean_gain.empty() ? 0 : r.selection.mean_gain.back();
  size_t won = r.selection.programs_won.empty() ? 0 : r.selection.programs_won.back();
  if (a.json) {
    nlohmann::json j = {{"out", a.out},           {"candidates", r.candidates},     {"programs", r.programs},
                        {"programs_failed", r.programs_failed}, {"evaluations", r.evaluations},
                        {"k", r.coreset.size()}, {"mean_over_oz_pct", 100 * final_gain},
                        {"oracle_mean_over_oz_pct", 100 * r.oracle_mean_gain}, {"programs_won", won},
                        {"seconds", r.seconds}};
    nlohmann::json curve = nlohmann::json::array();
    for (size_t i = 0; i < r.selection.mean_gain.size(); ++i) curve.push_back(100 * r.selection.mean_gain[i]);
    j["mean_over_oz_pct_by_k"] = curve;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("coreset: {} sequences from {} candidates on {} programs ({} skipped), {} evaluations, {:.1f} s\n",
                           r.coreset.size(), r.candidates, r.programs, r.programs_failed, r.evaluations, r.seconds);
  for (size_t i = 0; i < r.selection.mean_gain.size(); ++i)
    if (i < 5 || i + 1 == r.selection.mean_gain.size() || (i + 1) % 10 == 0)
      std::cout << fmt::format("  K={:<3} mean OverOz {:6.2f}%   programs beating -Oz {}\n", i + 1,
                               100 * r.selection.mean_gain[i], r.selection.programs_won[i]);
  std::cout << fmt::format("  all candidates: {:.2f}%\nwrote {}\n", 100 * r.oracle_mean_gain, a.out);
}

void add_coreset_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("coreset", "Mine the coreset of good sequences from training programs");
  cmd->require_subcommand(1);
  auto a = std::make_shared<CoresetArgs>();
  auto* mine = cmd->add_subcommand("mine", "Evaluate candidate sequences on training programs and pick K by greedy cover");
  mine->add_option("--candidates", a->candidates, "Eval run folder(s) whose verified best sequences are the candidates")
      ->required();
  mine->add_option("--suite", a->suites, "Corpus folder(s) or manifest(s) of the programs to cover")->required();
  mine->add_option("--split", a->split, "Split of the corpora: train (default), valid, test or all");
  mine->add_option("--limit", a->limit, "At most N programs per suite, evenly spread (default: all)");
  mine->add_option("-K,--k", a->k, "Sequences to keep (default 50)");
  mine->add_option("-j,--jobs", a->jobs, "Worker processes (default: all cores)");
  mine->add_option("--timeout", a->timeout, "Seconds before an evaluation is killed (default 10)");
  mine->add_option("--recipe", a->recipe, "How sources become IR: Oz (default) or O0");
  mine->add_option("--out", a->out, "Coreset file to write (e.g. data/coreset-llvm19.txt)")->required();
  mine->add_flag("--json", a->json, "Machine-readable summary, no progress bar");
  mine->callback([a] { run_mine(*a); });
}

const CommandRegistration kRegistration{74, add_coreset_command};

}  // namespace
}  // namespace cr1::cli
