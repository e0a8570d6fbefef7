// `compiler-r1 tool NAME --args JSON [--root DIR]`: one call of an agent tool,
// the result JSON on stdout; `compiler-r1 tools schema`: the tools' schemas.
// A tool's error is printed like a success (it is the tool's answer) and the
// exit code says it failed.
#include <fmt/format.h>

#include "agent/toolbox.h"
#include "cli/cli_common.h"
#include "cli/command_registry.h"

namespace cr1::cli {
namespace {

struct ToolArgs {
  std::string name;
  std::string args;
  std::string root = ".";
  std::string graph;
  uint64_t seed = 0;
  size_t fbps_evaluations = 0;
  int jobs = 0;
  double timeout_seconds = 10;
  std::string cache_path;
};

agent::ToolboxOptions toolbox_options(const ToolArgs& a) {
  agent::ToolboxOptions o;
  o.program_root = a.root;
  o.synergy_graph = a.graph;
  o.fbps_seed = a.seed;
  o.fbps_max_evaluations = a.fbps_evaluations;
  o.jobs = a.jobs;
  o.timeout_seconds = a.timeout_seconds;
  o.cache_path = a.cache_path;
  return o;
}

void run_tool(const ToolArgs& a) {
  auto args = nlohmann::json::parse(a.args, nullptr, false);
  if (args.is_discarded()) throw CliError(fmt::format("--args is not valid JSON: {}", a.args));
  if (a.jobs < 0) throw CliError("--jobs must be positive");
  auto toolbox = unwrap(agent::Toolbox::open(toolbox_options(a)));
  auto result = toolbox->call(a.name, args);
  print_json(result);
  if (result.value("status", "") != "success")
    throw CliError(fmt::format("{}: {}", a.name, result.value("error", std::string("failed"))), kExitFailure);
}

void add_tool_commands(CLI::App& app) {
  auto a = std::make_shared<ToolArgs>();
  auto* tool = app.add_subcommand("tool", "Call one agent tool (instrcount, find_best_pass_sequence) with JSON arguments");
  tool->add_option("name", a->name, "Tool name")->required();
  tool->add_option("--args", a->args, R"(Arguments as a JSON object, e.g. '{"filename":"a.c","optimization_flags":["--sroa"]}')")
      ->required();
  tool->add_option("--root", a->root, "Program root: filenames resolve inside it (default: the current folder)");
  tool->add_option("--graph", a->graph, "Synergy graph TSV for FBPS (default: the shipped one)");
  tool->add_option("--seed", a->seed, "FBPS seed (default 0)");
  tool->add_option("--fbps-evaluations", a->fbps_evaluations, "FBPS budget (default: the paper's, 100 x 10 generations)");
  tool->add_option("-j,--jobs", a->jobs, "Worker processes (default: all cores)");
  tool->add_option("--timeout", a->timeout_seconds, "Seconds before an evaluation is killed (default 10)");
  tool->add_option("--cache", a->cache_path, "Persistent SQLite result cache");
  tool->callback([a] { run_tool(*a); });

  auto* tools = app.add_subcommand("tools", "The agent's tools");
  tools->require_subcommand(1);
  auto* schema = tools->add_subcommand("schema", "The tools' JSON schemas (OpenAI / Qwen function-calling form)");
  schema->callback([] { print_json(agent::Toolbox::schemas()); });
}

const CommandRegistration kRegistration{80, add_tool_commands};

}  // namespace
}  // namespace cr1::cli
