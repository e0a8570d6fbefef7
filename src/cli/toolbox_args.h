// The options that configure the agent's tools, shared by `tool` (one call) and `serve --tools`
// (the HTTP service) so that both take the same flags with the same defaults and checks.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "agent/toolbox.h"

namespace cr1::cli {

struct ToolboxArgs {
  std::string root = ".";
  std::string graph;
  uint64_t seed = 0;
  size_t fbps_evaluations = 0;
  int jobs = 0;
  double timeout_seconds = 10;
  std::string cache_path;

  // --root, --graph, --seed, --fbps-evaluations, -j/--jobs, --timeout, --cache.
  void add_to(CLI::App& cmd, const std::string& root_help);
  // Checks the values (CliError on a bad one) and makes the toolbox's options.
  agent::ToolboxOptions options() const;
};

}  // namespace cr1::cli
