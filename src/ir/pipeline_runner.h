// The one core call: apply new-PM pipeline text to a module, the way
// `opt -passes=<text>` does (cf. LLVMRunPasses in PassBuilderBindings.cpp and
// runPassPipeline in opt's NewPMDriver.cpp), and count what is left.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace llvm {
class Module;
}

namespace cr1::ir {

// "19.1.7": part of every cache key, since counts differ between LLVM versions.
std::string llvm_version();

struct RunOptions {
  // Run the IR verifier after the pipeline (opt does by default). Search leaves
  // it off for speed; `apply` and final verification turn it on.
  bool verify = false;
};

// Does `pipeline` parse as pipeline text for the linked LLVM? (PassBuilder
// also accepts function passes at module level, nesting them implicitly.)
Status check_pipeline(std::string_view pipeline);

// Applies `pipeline` to `module` in place. Fatal LLVM errors are not caught
// here: run untrusted sequences in a worker (env/worker_pool.h).
Status run_pipeline(llvm::Module& module, std::string_view pipeline, const RunOptions& options = {});

// The level at which PassBuilder registers a pass name ("gvn" -> function),
// the outermost one when a name exists at several levels.
enum class PassLevel { unknown, module, cgscc, function, loop };
PassLevel pass_level(std::string_view name);

// Every instruction in every defined function (Module::getInstructionCount()).
uint64_t count_instructions(const llvm::Module& module);

enum class OptLevel { O0, O1, O2, O3, Os, Oz };
inline constexpr OptLevel kAllOptLevels[] = {OptLevel::O0, OptLevel::O1, OptLevel::O2,
                                             OptLevel::O3, OptLevel::Os, OptLevel::Oz};
const char* opt_level_name(OptLevel level);      // "Oz"
std::string baseline_pipeline(OptLevel level);   // "default<Oz>"

}  // namespace cr1::ir
