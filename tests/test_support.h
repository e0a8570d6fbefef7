// Helpers shared by the tests: temporary directories, bundled programs, and
// running opt/the CLI as subprocesses.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "ir/program_loader.h"
#include "util/atomic_file.h"
#include "util/subprocess.h"

namespace cr1::test {

inline std::filesystem::path source_dir() { return CR1_SOURCE_DIR; }
inline std::filesystem::path example(const std::string& name) { return source_dir() / "examples" / name; }

// A fresh directory under /tmp, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cr1-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path file(const std::string& name, const std::string& contents) const {
    std::ofstream(path / name) << contents;
    return path / name;
  }
};

// Loads one file or aborts the test.
inline ir::Program load_or_die(const std::filesystem::path& p, ir::Recipe recipe = ir::Recipe::Oz) {
  std::filesystem::path paths[] = {p};
  ir::LoadOptions o;
  o.recipe = recipe;
  auto prog = ir::load_program(paths, o);
  if (!prog) throw std::runtime_error(prog.error().message);
  return std::move(*prog);
}

// Instruction count of `file` after `opt -passes=<pipeline>`, loaded back in-process.
inline long opt_count(const std::filesystem::path& file, const std::string& pipeline) {
  TempDir dir;
  auto out = dir.path / "out.bc";
  auto r = run_subprocess({CR1_OPT_PATH, "-passes=" + pipeline, file.string(), "-o", out.string()});
  if (!r.success()) return -1;
  auto prog = load_or_die(out);
  return static_cast<long>(prog.module->getInstructionCount());
}

// A C file with many loop-carrying functions, large enough to make a long
// pipeline take a while.
inline std::string big_c_program(int functions) {
  std::string src = "int g[64];\n";
  for (int i = 0; i < functions; ++i) {
    src += "int f" + std::to_string(i) + "(int n) { int s = 0; for (int i = 0; i < n; i++) { for (int j = 0; j < i; j++) s += g[(i*" +
           std::to_string(i + 1) + "+j) & 63] * j; if (s > 1000) s -= n; } return s; }\n";
  }
  return src;
}

}  // namespace cr1::test
