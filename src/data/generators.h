// Program generators, deterministic by seed: csmith (random C programs with
// its runtime header) and llvm-stress (random IR). Each writes one file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/expected.h"

namespace cr1::data {

// csmith --seed SEED --max-funcs F -> dir/csmith-SEED.c. F (1..8) is drawn
// from the seed: csmith's default of 10 functions makes most programs
// 5k-12k instructions; a range of F spreads the sizes and halves build time.
int csmith_max_funcs(uint64_t seed);
Expected<std::filesystem::path> generate_csmith(uint64_t seed, const std::filesystem::path& dir);
// clang arguments csmith programs need (its runtime header; warnings off),
// and -include-pch `pch` when given (see build_csmith_pch).
std::vector<std::string> csmith_clang_args(const std::filesystem::path& pch = {});
// Precompiles csmith.h (with its includes) into dir/csmith-<recipe flags>.pch with
// the flags ir::load_program uses for `recipe_flags`, so that each seed's clang run
// skips parsing the runtime header (about a third of its time). Rebuilt every call:
// clang refuses a PCH older than its header.
Expected<std::filesystem::path> build_csmith_pch(const std::filesystem::path& dir,
                                                 const std::vector<std::string>& recipe_flags);

// llvm-stress --seed SEED --size N -> dir/llvm-stress-SEED.ll. The size is
// drawn from the seed, so a seed range covers small and large functions.
Expected<std::filesystem::path> generate_llvm_stress(uint64_t seed, const std::filesystem::path& dir);

}  // namespace cr1::data
