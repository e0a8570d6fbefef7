// `compiler-r1 passes`: the action catalogue.
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "ir/pipeline_runner.h"

namespace cr1::cli {

namespace {

void add_passes_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("passes", "List the action catalogue: CompilerGym's LLVM-10 flags as new-PM pipelines");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Machine-readable output");
  cmd->callback([json] {
    auto actions = ir::actions();
    auto removed = ir::removed_flags();
    if (*json) {
      nlohmann::json out = {{"llvm", ir::llvm_version()}, {"actions", nlohmann::json::array()}, {"removed", nlohmann::json::array()}};
      for (const auto& a : actions)
        out["actions"].push_back({{"id", ir::action_index(a)}, {"flag", fmt::format("--{}", a.flag)}, {"pipeline", a.pipeline}});
      for (const auto& r : removed)
        out["removed"].push_back({{"flag", fmt::format("--{}", r.flag)}, {"replacement", r.replacement}, {"why", r.why}});
      print_json(out);
      return;
    }
    fmt::print("{} actions for LLVM {} (CompilerGym's 124 LLVM-10 flags; {} removed)\n\n", actions.size(),
               ir::llvm_version(), removed.size());
    fmt::print("{:>4}  {:<32} {}\n", "id", "flag", "new-PM pipeline");
    for (const auto& a : actions)
      fmt::print("{:>4}  {:<32} {}\n", ir::action_index(a), fmt::format("--{}", a.flag), a.pipeline);
    fmt::print("\nRemoved in LLVM {}:\n", ir::llvm_version());
    for (const auto& r : removed)
      fmt::print("      {:<32} {} -> {}\n", fmt::format("--{}", r.flag), r.why,
                 r.replacement.empty() ? "drop it" : fmt::format("use '{}'", r.replacement));
  });
}

const CommandRegistration kRegistration{10, add_passes_command};

}  // namespace

}  // namespace cr1::cli
