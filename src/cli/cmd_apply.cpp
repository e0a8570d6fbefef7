// `compiler-r1 apply FILE --passes SEQ -o OUT.{bc,ll}`: apply a sequence in a
// worker (verifier on) and write the optimized module atomically.
#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"

namespace cr1::cli {
namespace {

void add_apply_command(CLI::App& app) {
  struct Args {
    ProgramOptions program;
    EnvOptions env;
    std::vector<std::string> passes;
    std::string output;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("apply", "Apply a pass sequence and write the optimized module (.bc or .ll)");
  args->program.add_to(*cmd);
  args->env.add_to(*cmd);
  cmd->add_option("-p,--passes", args->passes, "Pass sequence (legacy flags, new-PM names or pipeline text)")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("-o,--output", args->output, "Output file, .bc or .ll")->required();
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args] {
    auto t0 = std::chrono::steady_clock::now();
    auto seq = parse_passes_or_throw(args->passes);
    std::filesystem::path out(args->output);
    check_output_path(out);
    auto session = open_session(args->program, args->env);
    auto r = session->apply_and_write(seq, out);
    if (!r.ok())
      throw CliError(fmt::format("sequence failed ({}): {}; nothing written", eval_status_name(r.status), r.message),
                     r.status == env::EvalStatus::invalid_pass ? kExitBadInput : kExitFailure);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (args->json) {
      print_json({{"files", session->program().inputs},
                  {"output", out.string()},
                  {"flags", seq.flag_list()},
                  {"pipeline", seq.pipeline()},
                  {"base_instruction_count", session->base_count()},
                  {"instruction_count", r.instruction_count},
                  {"seconds", secs}});
      return;
    }
    fmt::print("wrote      {} ({} -> {} instructions)\n", out.string(), session->base_count(), r.instruction_count);
    fmt::print("pipeline   opt -passes='{}'\n", seq.pipeline());
  });
}

const CommandRegistration kRegistration{40, add_apply_command};

}  // namespace

}  // namespace cr1::cli
