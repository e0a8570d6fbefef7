#include "data/generators.h"

#include <unistd.h>

#include <cctype>

#include <fmt/format.h>

#include "util/subprocess.h"

namespace cr1::data {
namespace fs = std::filesystem;

namespace {

std::string tool(const char* env, const std::string& fallback) {
  const char* v = std::getenv(env);
  return v && *v ? v : fallback;
}

Status run_generator(const std::vector<std::string>& argv, const fs::path& out) {
  auto r = run_subprocess(argv, std::chrono::seconds(60));
  std::error_code ec;
  if (r.spawn_failed)
    return make_error(ErrorKind::not_found, fmt::format("cannot run {}: {} (apt-get install it)", argv[0], r.err));
  if (!r.success() || !fs::exists(out, ec) || fs::file_size(out, ec) == 0)
    return make_error(ErrorKind::internal, fmt::format("{} failed: {}", argv[0],
                                                       r.timed_out ? "timed out" : tail_lines(r.err + r.out, 1)));
  return ok_status();
}

}  // namespace

Expected<fs::path> generate_csmith(uint64_t seed, const fs::path& dir) {
  fs::path out = dir / fmt::format("csmith-{}.c", seed);
  auto st = run_generator({tool("CR1_CSMITH", "csmith"), "--seed", std::to_string(seed), "--max-funcs",
                           std::to_string(csmith_max_funcs(seed)), "--output", out.string()},
                          out);
  if (!st) return st.take_error();
  return out;
}

int csmith_max_funcs(uint64_t seed) { return 1 + static_cast<int>(seed % 8); }

std::vector<std::string> csmith_clang_args(const fs::path& pch) {
  std::string inc = tool("CR1_CSMITH_INCLUDE", "/usr/include/csmith");
  std::vector<std::string> args = {"-I" + inc, "-w"};
  if (!pch.empty()) args.insert(args.end(), {"-include-pch", pch.string()});
  return args;
}

Expected<fs::path> build_csmith_pch(const fs::path& dir, const std::vector<std::string>& recipe_flags) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string tag;
  for (const auto& f : recipe_flags)
    for (char c : f)
      if (std::isalnum(static_cast<unsigned char>(c))) tag += c;
  fs::path out = dir / fmt::format("csmith-{}.pch", tag);
  fs::path tmp = dir / fmt::format(".csmith-{}.pch.{}", tag, ::getpid());
  std::string inc = tool("CR1_CSMITH_INCLUDE", "/usr/include/csmith");
  std::vector<std::string> argv = {tool("CR1_CLANG", CR1_CLANG_PATH), "-x", "c-header"};
  argv.insert(argv.end(), recipe_flags.begin(), recipe_flags.end());
  argv.insert(argv.end(), {"-I" + inc, "-w", inc + "/csmith.h", "-o", tmp.string()});
  auto r = run_subprocess(argv, std::chrono::seconds(60));
  if (!r.success()) {
    fs::remove(tmp, ec);
    return make_error(ErrorKind::compile, fmt::format("cannot precompile {}/csmith.h: {}", inc,
                                                      r.timed_out ? "timed out" : tail_lines(r.err + r.out, 1)));
  }
  fs::rename(tmp, out, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("cannot write {}: {}", out.string(), ec.message()));
  return out;
}

Expected<fs::path> generate_llvm_stress(uint64_t seed, const fs::path& dir) {
  fs::path out = dir / fmt::format("llvm-stress-{}.ll", seed);
  // Sizes from 100 to 4000 "instructions" of llvm-stress's own measure.
  uint64_t size = 100 + (seed * 2654435761u) % 3901;
  auto st = run_generator({tool("CR1_LLVM_STRESS", CR1_LLVM_TOOLS_DIR "/llvm-stress"), "--seed=" + std::to_string(seed),
                           "--size=" + std::to_string(size), "-o", out.string()},
                          out);
  if (!st) return st.take_error();
  return out;
}

}  // namespace cr1::data
