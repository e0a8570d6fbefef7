// `compiler-r1 features FILE`: AutoPhase (56) and InstCount (70) features.
#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "ir/features.h"

namespace cr1::cli {

namespace {

void add_features_command(CLI::App& app) {
  struct Args {
    ProgramOptions program;
    bool json = false;
    bool instcount = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("features", "AutoPhase features (56) of a program; --instcount adds the 70 InstCount features");
  args->program.add_to(*cmd);
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->add_flag("--instcount", args->instcount, "Also print CompilerGym's InstCount features");
  cmd->callback([args] {
    std::vector<std::filesystem::path> paths(args->program.files.begin(), args->program.files.end());
    auto prog = unwrap(ir::load_program(paths, args->program.load_options()));
    auto ap = ir::autophase_features(*prog.module);
    auto ap_names = ir::autophase_feature_names();
    nlohmann::json autophase = nlohmann::json::object();
    for (size_t i = 0; i < ap.size(); ++i) autophase[std::string(ap_names[i])] = ap[i];
    nlohmann::json instcount = nlohmann::json::object();
    if (args->instcount) {
      auto ic = ir::instcount_features(*prog.module);
      auto ic_names = ir::instcount_feature_names();
      for (size_t i = 0; i < ic.size(); ++i) instcount[ic_names[i]] = ic[i];
    }
    if (args->json) {
      nlohmann::json out = {{"files", prog.inputs}, {"recipe", prog.recipe}, {"autophase", autophase}};
      if (args->instcount) out["instcount"] = instcount;
      // Keep the feature order of the definition, not nlohmann's sorted keys.
      out["autophase_vector"] = ap;
      print_json(out);
      return;
    }
    for (size_t i = 0; i < ap.size(); ++i) fmt::print("{:>3} {:<22} {}\n", i, ap_names[i], ap[i]);
    if (args->instcount) {
      auto ic = ir::instcount_features(*prog.module);
      auto ic_names = ir::instcount_feature_names();
      fmt::print("\n");
      for (size_t i = 0; i < ic.size(); ++i) fmt::print("{:>3} {:<22} {}\n", i, ic_names[i], ic[i]);
    }
  });
}

const CommandRegistration kRegistration{30, add_features_command};

}  // namespace

}  // namespace cr1::cli
