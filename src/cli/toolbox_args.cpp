#include "cli/toolbox_args.h"

#include <fmt/format.h>

#include "cli/cli_common.h"

namespace cr1::cli {

void ToolboxArgs::add_to(CLI::App& cmd, const std::string& root_help) {
  cmd.add_option("--root", root, root_help);
  cmd.add_option("--graph", graph, "Synergy graph TSV for FBPS (default: the shipped one)");
  cmd.add_option("--seed", seed, "FBPS seed (default 0)");
  cmd.add_option("--fbps-evaluations", fbps_evaluations, "FBPS budget (default: the paper's, 100 x 10 generations)");
  cmd.add_option("-j,--jobs", jobs, "Worker processes per program (default: all cores)");
  cmd.add_option("--timeout", timeout_seconds, "Seconds before an evaluation is killed (default 10)");
  cmd.add_option("--cache", cache_path, "Persistent SQLite result cache");
}

agent::ToolboxOptions ToolboxArgs::options() const {
  if (jobs < 0) throw CliError(fmt::format("--jobs must be positive, got {}", jobs));
  if (!(timeout_seconds > 0)) throw CliError(fmt::format("--timeout must be positive, got {}", timeout_seconds));
  agent::ToolboxOptions o;
  o.program_root = root;
  o.synergy_graph = graph;
  o.fbps_seed = seed;
  o.fbps_max_evaluations = fbps_evaluations;
  o.jobs = jobs;
  o.timeout_seconds = timeout_seconds;
  o.cache_path = cache_path;
  return o;
}

}  // namespace cr1::cli
