// Links a whole program (cBench style: the per-TU bitcode of a main TU and of
// the package's TUs it needs, see whole_program_groups) for the corpus, and
// gives up as soon as the result is certain to be too big for the
// instruction-count window. A group can pull in hundreds of TUs (ffmpeg's
// tools pull in libavcodec): linking all of them took minutes and ran past the
// job timeout, to learn what the first few TUs already proved.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

#include "ir/program_loader.h"

namespace cr1::data {

struct LinkedProgram {
  std::optional<ir::Program> program;  // the complete, verified module; empty when linking stopped
  uint64_t at_least = 0;               // when it stopped: the module would have at least this many instructions
  size_t linked = 0;                   // TUs linked when it stopped (of all members)
};

// Links `members` (main TU first) in order, each later one for the symbols the
// module so far needs (llvm::Linker's LinkOnlyNeeded), as ir::load_program
// with link_only_needed does: the same module, the same errors. Later members
// are read lazily, so the functions the program does not need are never parsed.
// After each member, the instructions in functions the linker can no longer
// replace (not weak, linkonce, common or available_externally) are a lower
// bound of the final count; once it exceeds `max_insts`, linking stops.
Expected<LinkedProgram> link_whole_program(std::span<const std::filesystem::path> members, uint64_t max_insts);

// That lower bound for a module: instructions of its definitions that linking
// more modules into it can neither drop nor replace.
uint64_t fixed_instruction_count(const llvm::Module& module);

}  // namespace cr1::data
