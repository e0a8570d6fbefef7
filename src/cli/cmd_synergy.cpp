// `compiler-r1 synergy mine|stats`: mines the synergy graph of pass pairs on
// a corpus (resumable) and summarises a graph.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "search/synergy/mining_run.h"
#include "util/progress.h"

namespace cr1::cli {
namespace {

namespace syn = search::synergy;

// The folder must exist and be writable, before any mining.
void check_writable_output(const std::filesystem::path& out) {
  auto dir = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw CliError(fmt::format("{}: output folder '{}' does not exist", out.string(), dir.string()));
  if (::access(dir.c_str(), W_OK) != 0)
    throw CliError(fmt::format("{}: output folder '{}' is not writable", out.string(), dir.string()));
  if (std::filesystem::is_directory(out, ec)) throw CliError(fmt::format("{}: is a folder", out.string()));
}

struct MineArgs {
  std::vector<std::string> corpora;
  std::string split = "train";
  size_t limit = 0;
  uint64_t seed = 0;
  int jobs = 0;
  double timeout_seconds = 10;
  std::string out, log;
  bool json = false;
};

void run_mine(const MineArgs& a) {
  std::optional<data::Split> split;
  if (a.split != "all") {
    split = data::parse_split(a.split);
    if (!split) throw CliError(fmt::format("--split: unknown split '{}' (train, valid, test or all)", a.split));
  }
  if (a.timeout_seconds <= 0) throw CliError("--timeout must be positive");
  check_writable_output(a.out);
  std::vector<std::filesystem::path> corpora(a.corpora.begin(), a.corpora.end());
  auto programs = unwrap(syn::collect_mining_programs(corpora, split, a.limit, a.seed));

  syn::MiningOptions o;
  o.out = a.out;
  o.log = a.log;
  o.session.pool.jobs = a.jobs;
  o.session.pool.timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout_seconds * 1000));
  std::string corpus_list;
  for (const auto& c : a.corpora) corpus_list += (corpus_list.empty() ? "" : " ") + c;
  o.notes.push_back(fmt::format("mined from {} (split {}, limit {}, seed {}), action space cgym ({} passes)",
                                corpus_list, a.split, a.limit ? std::to_string(a.limit) : "none", a.seed,
                                search::ActionSpace::size_actions().size()));
  ProgressBar bar("mining", programs.size(), !a.json);
  o.on_program = [&](size_t done, size_t, const std::string&) {
    bar.update(done);
    return true;
  };
  auto sum = unwrap(syn::mine_corpus(programs, o), kExitFailure);
  bar.finish();

  nlohmann::json out = {{"programs", sum.programs},   {"mined_now", sum.mined},
                        {"resumed", sum.resumed},     {"failed", sum.failed},
                        {"evaluations", sum.evaluations}, {"seconds", sum.seconds},
                        {"pairs", sum.graph.pair_count()}, {"passes", sum.graph.passes().size()},
                        {"out", a.out},               {"log", a.log.empty() ? syn::default_log_path(a.out).string() : a.log}};
  if (a.json) {
    print_json(out);
  } else {
    fmt::print("programs   {} ({} mined now, {} from the log, {} failed)\n", sum.programs, sum.mined, sum.resumed,
               sum.failed);
    fmt::print("graph      {} pairs over {} passes -> {}\n", sum.graph.pair_count(), sum.graph.passes().size(), a.out);
    fmt::print("time       {:.1f} s ({} evaluations)\n", sum.seconds, sum.evaluations);
  }
}

struct StatsArgs {
  std::string graph;
  size_t top = 10;
  bool json = false;
};

void run_stats(const StatsArgs& a) {
  auto g = unwrap(syn::SynergyGraph::load(a.graph));
  auto pairs = g.pairs();
  size_t self = 0;
  uint64_t total = 0;
  std::map<std::string, uint64_t> into, outof;
  for (const auto& p : pairs) {
    self += p.first == p.second;
    total += p.programs;
    into[p.second] += p.programs;
    outof[p.first] += p.programs;
  }
  auto top_of = [&](const std::map<std::string, uint64_t>& m) {
    std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.second > y.second; });
    if (v.size() > a.top) v.resize(a.top);
    return v;
  };
  size_t n = std::min(a.top, pairs.size());
  if (a.json) {
    nlohmann::json top = nlohmann::json::array();
    for (size_t i = 0; i < n; ++i) top.push_back({{"first", pairs[i].first}, {"second", pairs[i].second}, {"programs", pairs[i].programs}});
    print_json({{"graph", a.graph},
                {"pairs", pairs.size()},
                {"passes", g.passes().size()},
                {"self_pairs", self},
                {"total_weight", total},
                {"notes", g.notes},
                {"top_pairs", top},
                {"top_second", top_of(into)},
                {"top_first", top_of(outof)}});
    return;
  }
  for (const auto& note : g.notes) fmt::print("# {}\n", note);
  fmt::print("pairs      {} ({} with A = B), total weight {}\n", pairs.size(), self, total);
  fmt::print("passes     {}\n", g.passes().size());
  fmt::print("top pairs (programs):\n");
  for (size_t i = 0; i < n; ++i) fmt::print("  {:>6}  {} -> {}\n", pairs[i].programs, pairs[i].first, pairs[i].second);
  fmt::print("passes most helped by a predecessor (B):");
  for (const auto& [p, w] : top_of(into)) fmt::print(" {} ({})", p, w);
  fmt::print("\npasses that help most as predecessor (A):");
  for (const auto& [p, w] : top_of(outof)) fmt::print(" {} ({})", p, w);
  fmt::print("\n");
}

void add_synergy_command(CLI::App& app) {
  auto* syn = app.add_subcommand("synergy", "Synergy graph of pass pairs (mining and statistics) for FBPS");
  syn->require_subcommand(1);

  auto m = std::make_shared<MineArgs>();
  auto* mine = syn->add_subcommand("mine", "Mine synergistic pass pairs on a corpus (resumable: rerun to continue)");
  mine->add_option("--corpus", m->corpora, "Corpus folder, manifest.jsonl, or folder of programs (repeatable)")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  mine->add_option("--split", m->split, "Split of corpus manifests: train, valid, test or all (default train)");
  mine->add_option("--limit", m->limit, "Mine a seeded sample of this many programs (default: all)");
  mine->add_option("--seed", m->seed, "Seed of the sample (default 0)");
  mine->add_option("-j,--jobs", m->jobs, "Worker processes (default: all cores)");
  mine->add_option("--timeout", m->timeout_seconds, "Seconds before an evaluation is killed (default 10)");
  mine->add_option("-o,--out", m->out, "Graph TSV to write")->required();
  mine->add_option("--log", m->log, "Per-program log to resume from (default OUT.log.jsonl)");
  mine->add_flag("--json", m->json, "Machine-readable output");
  mine->callback([m] { run_mine(*m); });

  auto s = std::make_shared<StatsArgs>();
  auto* stats = syn->add_subcommand("stats", "Pairs, passes and top pairs of a synergy graph");
  stats->add_option("graph", s->graph, "Graph TSV")->required();
  stats->add_option("--top", s->top, "How many top pairs/passes to list (default 10)");
  stats->add_flag("--json", s->json, "Machine-readable output");
  stats->callback([s] { run_stats(*s); });
}

const CommandRegistration kRegistration{75, add_synergy_command};

}  // namespace
}  // namespace cr1::cli
