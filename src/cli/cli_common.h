// What every subcommand shares: input/flags parsing helpers, the error type
// that becomes "compiler-r1: error: ..." and exit code 2, and output helpers.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "env/session.h"
#include "ir/action_catalog.h"
#include "util/expected.h"

namespace cr1::cli {

// Exit codes: 0 success, 1 the work ran but failed (e.g. the sequence crashed
// LLVM), 2 bad input (missing file, malformed IR, unknown pass, bad flag).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

// Thrown by commands; main() prints the one-line message and exits.
struct CliError : std::runtime_error {
  int exit_code;
  CliError(std::string msg, int code = kExitBadInput) : std::runtime_error(std::move(msg)), exit_code(code) {}
};

// Unwraps an Expected or throws a CliError with its message.
template <class T>
T unwrap(Expected<T> e, int code = kExitBadInput) {
  if (!e) throw CliError(e.error().message, code);
  return std::move(*e);
}

// Like unwrap, for calls that fail either on their input (exit 2: a missing or malformed file, a bad
// argument) or while working (exit 1).
template <class T>
T unwrap_by_kind(Expected<T> e) {
  if (!e) {
    ErrorKind k = e.error().kind;
    bool input = k == ErrorKind::not_found || k == ErrorKind::parse || k == ErrorKind::invalid_input ||
                 k == ErrorKind::invalid_pass;
    throw CliError(e.error().message, input ? kExitBadInput : kExitFailure);
  }
  return std::move(*e);
}

// Options for commands that load a program.
struct ProgramOptions {
  std::vector<std::string> files;
  std::string recipe = "Oz";
  std::vector<std::string> clang_args;
  void add_to(CLI::App& cmd);
  ir::LoadOptions load_options() const;
};

// Options for commands that evaluate through the worker pool.
struct EnvOptions {
  int jobs = 0;
  double timeout_seconds = 10;
  std::string cache_path;
  void add_to(CLI::App& cmd);
  env::SessionOptions session_options() const;
};

// Loads the program and opens a session (exit 2 on bad input).
std::unique_ptr<env::Session> open_session(const ProgramOptions& program, const EnvOptions& env);

// Parses a --passes value; an empty sequence is an error naming the flag.
ir::PassSequence parse_passes_or_throw(const std::vector<std::string>& items, const char* flag = "--passes");

// Refuses a bad output path (suffix, missing or unwritable folder) before any work.
void check_output_path(const std::filesystem::path& out);

// Percent with sign, e.g. "+2.35%".
std::string percent(double fraction);

void print_json(const nlohmann::json& j);


}  // namespace cr1::cli
