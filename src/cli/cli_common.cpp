#include "cli/cli_common.h"

#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

namespace cr1::cli {

void ProgramOptions::add_to(CLI::App& cmd) {
  cmd.add_option("files", files, "Program: .c/.cc/.cpp sources or .ll/.bc IR (several are linked into one module)")
      ->required();
  cmd.add_option("--recipe", recipe,
                 "How sources become IR: Oz (-Oz -Xclang -disable-llvm-passes, default) or O0 "
                 "(-O0 -Xclang -disable-O0-optnone)");
  cmd.add_option("--clang-arg", clang_args, "Extra argument for clang (repeatable), e.g. --clang-arg=-Iinclude");
}

ir::LoadOptions ProgramOptions::load_options() const {
  ir::LoadOptions o;
  o.recipe = unwrap(ir::parse_recipe(recipe));
  o.extra_clang_args = clang_args;
  return o;
}

void EnvOptions::add_to(CLI::App& cmd) {
  cmd.add_option("-j,--jobs", jobs, "Worker processes (default: all cores)");
  cmd.add_option("--timeout", timeout_seconds, "Seconds before an evaluation is killed (default 10)");
  cmd.add_option("--cache", cache_path, "Persistent SQLite result cache");
}

env::SessionOptions EnvOptions::session_options() const {
  if (timeout_seconds <= 0) throw CliError(fmt::format("--timeout must be positive, got {}", timeout_seconds));
  if (jobs < 0) throw CliError(fmt::format("--jobs must be positive, got {}", jobs));
  env::SessionOptions o;
  o.pool.jobs = jobs;
  o.pool.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  if (!cache_path.empty()) o.cache = std::shared_ptr<env::ResultCache>(unwrap(env::ResultCache::open(cache_path)));
  return o;
}

std::unique_ptr<env::Session> open_session(const ProgramOptions& program, const EnvOptions& env) {
  std::vector<std::filesystem::path> paths(program.files.begin(), program.files.end());
  auto loaded = unwrap(ir::load_program(paths, program.load_options()));
  return unwrap(env::Session::create(std::move(loaded), env.session_options()));
}

ir::PassSequence parse_passes_or_throw(const std::vector<std::string>& items, const char* flag) {
  auto seq = unwrap(ir::parse_sequence(items));
  if (seq.empty()) throw CliError(fmt::format("{}: empty pass sequence", flag));
  return seq;
}

std::string percent(double fraction) { return fmt::format("{:+.2f}%", fraction * 100.0); }

// Refuse a bad output path before any work, so nothing is half-done.
void check_output_path(const std::filesystem::path& out) {
  auto ext = out.extension().string();
  if (ext != ".bc" && ext != ".ll")
    throw CliError(fmt::format("{}: output must end in .bc or .ll", out.string()));
  auto dir = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw CliError(fmt::format("{}: output directory '{}' does not exist", out.string(), dir.string()));
  if (::access(dir.c_str(), W_OK) != 0)
    throw CliError(fmt::format("{}: output directory '{}' is not writable", out.string(), dir.string()));
  if (std::filesystem::is_directory(out, ec)) throw CliError(fmt::format("{}: is a directory", out.string()));
}


void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << std::endl; }

}  // namespace cr1::cli
