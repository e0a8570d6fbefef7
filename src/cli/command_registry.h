// Subcommands register themselves: each cli/cmd_*.cpp holds one static
// CommandRegistration, and main() adds them all in `order`.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace cr1::cli {

struct CommandRegistration {
  CommandRegistration(int order, std::function<void(CLI::App&)> add);
};

// Adds every registered subcommand to `app`, by order.
void add_registered_commands(CLI::App& app);

}  // namespace cr1::cli
