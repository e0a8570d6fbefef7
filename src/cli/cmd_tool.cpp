// `compiler-r1 tool NAME --args JSON [--root DIR]`: one call of an agent tool,
// the result JSON on stdout; `compiler-r1 tools schema`: the tools' schemas.
// A tool's error is printed like a success (it is the tool's answer) and the
// exit code says it failed.
#include <fmt/format.h>

#include "agent/toolbox.h"
#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "cli/toolbox_args.h"

namespace cr1::cli {
namespace {

struct ToolArgs {
  std::string name;
  std::string args;
  ToolboxArgs toolbox;
};

void run_tool(const ToolArgs& a) {
  auto args = nlohmann::json::parse(a.args, nullptr, false);
  if (args.is_discarded()) throw CliError(fmt::format("--args is not valid JSON: {}", a.args));
  auto toolbox = unwrap(agent::Toolbox::open(a.toolbox.options()));
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
  a->toolbox.add_to(*tool, "Program root: filenames resolve inside it (default: the current folder)");
  tool->callback([a] { run_tool(*a); });

  auto* tools = app.add_subcommand("tools", "The agent's tools");
  tools->require_subcommand(1);
  auto* schema = tools->add_subcommand("schema", "The tools' JSON schemas (OpenAI / Qwen function-calling form)");
  schema->callback([] { print_json(agent::Toolbox::schemas()); });
}

const CommandRegistration kRegistration{80, add_tool_commands};

}  // namespace
}  // namespace cr1::cli
