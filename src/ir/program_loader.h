// Loading a program: .ll, .bc, or C/C++ sources compiled with clang to IR.
// Several inputs are linked into one module. The recipe that produced the IR is
// recorded, since it decides what -Oz can do (see pass-map-llvm19.md).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace cr1::ir {

enum class Recipe {
  // clang -Oz -Xclang -disable-llvm-passes: functions carry minsize/optsize, so
  // opt's default<Oz> on the IR equals clang -Oz.
  Oz,
  // clang -O0 -Xclang -disable-O0-optnone: the CompilerGym style.
  O0,
};

Expected<Recipe> parse_recipe(std::string_view name);  // "Oz" | "O0"
const char* recipe_name(Recipe recipe);

struct LoadOptions {
  Recipe recipe = Recipe::Oz;
  std::vector<std::string> extra_clang_args;  // e.g. -I, -D
  std::chrono::seconds compile_timeout{120};
  // Link later inputs only for the symbols the module so far needs (a whole
  // program from its main TU and a package's other TUs, cBench style).
  bool link_only_needed = false;
  // When set, the bitcode clang made for each source is also kept here
  // (named after the source), e.g. to link whole programs later.
  std::filesystem::path keep_bitcode_as;
};

// The program: context and module, in that order, because the module must be
// destroyed before the context that owns its types and constants.
struct Program {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  std::string name;     // stem of the first input
  std::string recipe;   // how the IR was made, e.g. "ir" or "clang -Oz -Xclang -disable-llvm-passes"
  std::vector<std::string> inputs;

  Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();
};

bool is_source_file(const std::filesystem::path& path);  // .c .cc .cpp .cxx .C
bool is_ir_file(const std::filesystem::path& path);      // .ll .bc

// Loads and links `inputs` into one verified module.
Expected<Program> load_program(std::span<const std::filesystem::path> inputs, const LoadOptions& options = {});

// Parses IR held in memory (bitcode or text) into `context`; `name` is used in errors.
Expected<std::unique_ptr<llvm::Module>> parse_ir(std::string_view bytes, std::string_view name,
                                                 llvm::LLVMContext& context);

// LLVMContext's default handler exit()s on an error diagnostic, which is how
// the Linker reports a conflict; after this, `context` keeps the first error's
// first line in `*sink` instead (until the handler is reset).
void collect_error_diagnostics(llvm::LLVMContext& context, std::string* sink);

// Verifies a loaded or linked module; the error names `name` and the
// verifier's first complaint.
Status verify_loaded_module(const llvm::Module& module, std::string_view name);

// Writes the module as bitcode (.bc) or text (.ll, by suffix) atomically.
Status write_module(const llvm::Module& module, const std::filesystem::path& out);

// Bitcode bytes, e.g. for hashing or shipping to a worker.
std::string module_to_bitcode(const llvm::Module& module);

}  // namespace cr1::ir
