// compiler-r1: one binary, one subcommand per job. main() only wires the
// subcommands and turns errors into one line and an exit code.
#include <cstdio>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "ir/action_catalog.h"

int main(int argc, char** argv) {
  using namespace cr1::cli;
  spdlog::set_default_logger(spdlog::stderr_color_mt("compiler-r1"));
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");

  CLI::App app{"compiler-r1: finds LLVM pass sequences that make code smaller than -Oz"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "compiler-r1 0.1.0");
  add_registered_commands(app);

  try {
    // The catalogue is checked against the linked LLVM before any work.
    if (auto failures = cr1::ir::validate_catalog(); !failures.empty()) {
      std::fprintf(stderr, "compiler-r1: error: pass catalogue does not match the linked LLVM: %s\n",
                   failures.front().c_str());
      return 1;
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "compiler-r1: error: %s (see --help)\n", e.what());
    return kExitBadInput;
  } catch (const CliError& e) {
    std::fprintf(stderr, "compiler-r1: error: %s\n", e.what());
    return e.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compiler-r1: error: %s\n", e.what());
    return kExitFailure;
  }
  return 0;
}
