// Program features computed in-process: the 56 AutoPhase features (Huang,
// Haj-Ali et al., FCCM'19 / MLSys'20, in CompilerGym's order; definitions in
// shared/reference/autophase-features.md) and CompilerGym's 70 InstCount
// features ([TotalInsts, TotalBlocks, TotalFuncs] then one count per opcode in
// llvm/IR/Instruction.def order).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace llvm {
class Module;
}

namespace cr1::ir {

inline constexpr size_t kNumAutophaseFeatures = 56;
inline constexpr size_t kNumInstCountFeatures = 70;

using AutophaseFeatures = std::array<int64_t, kNumAutophaseFeatures>;
using InstCountFeatures = std::array<int64_t, kNumInstCountFeatures>;

// Names in feature order ("BBNumArgsHi", ..., "testUnary").
std::span<const std::string_view> autophase_feature_names();
// "TotalInsts", "TotalBlocks", "TotalFuncs", then "RetCount", "BrCount", ... (opcode name + "Count").
std::span<const std::string> instcount_feature_names();

AutophaseFeatures autophase_features(const llvm::Module& module);
InstCountFeatures instcount_features(const llvm::Module& module);

}  // namespace cr1::ir
