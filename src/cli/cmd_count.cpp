// `compiler-r1 count FILE [--passes SEQ]`: instruction counts of the program,
// its -O baselines and, optionally, a sequence, with OverOz.
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "util/progress.h"

namespace cr1::cli {
namespace {

struct CountArgs {
  ProgramOptions program;
  EnvOptions env;
  std::vector<std::string> passes;
  bool json = false;
};

void run_count(const CountArgs& args) {
  auto t0 = std::chrono::steady_clock::now();
  std::optional<ir::PassSequence> seq;
  if (!args.passes.empty()) seq = parse_passes_or_throw(args.passes);
  auto session = open_session(args.program, args.env);

  // Baselines and the sequence go to the pool as one batch.
  std::vector<std::string> pipelines;
  for (auto l : ir::kAllOptLevels) pipelines.push_back(ir::baseline_pipeline(l));
  if (seq) pipelines.push_back(seq->pipeline());
  ProgressBar bar("evaluating", pipelines.size(), !args.json);
  auto results = session->evaluate_pipelines(pipelines, [&](size_t done, size_t) { bar.update(done); });
  bar.finish();
  auto oz = unwrap(session->oz_count(), kExitFailure);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto& prog = session->program();
  nlohmann::json out = {{"files", prog.inputs},
                        {"recipe", prog.recipe},
                        {"module_hash", session->module_hash()},
                        {"llvm", ir::llvm_version()},
                        {"base_instruction_count", session->base_count()},
                        {"oz_instruction_count", oz}};
  nlohmann::json baselines;
  for (size_t i = 0; i < std::size(ir::kAllOptLevels); ++i) {
    const auto& r = results[i];
    baselines[ir::opt_level_name(ir::kAllOptLevels[i])] =
        r.ok() ? nlohmann::json(r.instruction_count) : nlohmann::json(eval_status_name(r.status));
  }
  out["baselines"] = baselines;
  const env::EvalResult* sres = seq ? &results.back() : nullptr;
  if (seq) {
    nlohmann::json s = {{"flags", seq->flag_list()}, {"pipeline", seq->pipeline()}, {"status", eval_status_name(sres->status)}};
    if (sres->ok()) {
      s["instruction_count"] = sres->instruction_count;
      s["over_oz_percent"] = unwrap(session->over_oz(sres->instruction_count)) * 100.0;
    } else {
      s["error"] = sres->message;
    }
    out["sequence"] = s;
  }
  out["seconds"] = secs;

  if (args.json) {
    print_json(out);
  } else {
    fmt::print("program    {}\n", fmt::join(prog.inputs, " "));
    fmt::print("recipe     {}\n", prog.recipe);
    fmt::print("base       {} instructions\n", session->base_count());
    for (size_t i = 0; i < std::size(ir::kAllOptLevels); ++i) {
      const auto& r = results[i];
      fmt::print("-{:<9} {}\n", ir::opt_level_name(ir::kAllOptLevels[i]),
                 r.ok() ? fmt::format("{}", r.instruction_count) : fmt::format("{} ({})", eval_status_name(r.status), r.message));
    }
    if (seq) {
      fmt::print("sequence   {}\n", seq->flags());
      fmt::print("pipeline   opt -passes='{}'\n", seq->pipeline());
      if (sres->ok())
        fmt::print("result     {} instructions, OverOz {}\n", sres->instruction_count,
                   percent(unwrap(session->over_oz(sres->instruction_count))));
      else
        fmt::print("result     {}: {}\n", eval_status_name(sres->status), sres->message);
    }
    fmt::print("time       {:.2f} s\n", secs);
  }
  if (sres && !sres->ok())
    throw CliError(fmt::format("sequence failed ({}): {}", eval_status_name(sres->status), sres->message),
                   sres->status == env::EvalStatus::invalid_pass ? kExitBadInput : kExitFailure);
}

}  // namespace

namespace {

void add_count_command(CLI::App& app) {
  auto args = std::make_shared<CountArgs>();
  auto* cmd = app.add_subcommand("count", "Instruction counts: base, -O0..-Oz, and a pass sequence with its OverOz");
  args->program.add_to(*cmd);
  args->env.add_to(*cmd);
  cmd->add_option("-p,--passes", args->passes,
                  "Pass sequence: legacy flags (--passes='--sroa --gvn'), new-PM names (sroa,gvn) or pipeline text")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args] { run_count(*args); });
}

const CommandRegistration kRegistration{20, add_count_command};

}  // namespace

}  // namespace cr1::cli
