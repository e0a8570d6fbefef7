#include "ir/features.h"

#include <llvm/Analysis/CFG.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/InstrTypes.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>

#include <string_view>
#include <vector>

namespace cr1::ir {
namespace {

// Opcodes run 1..OtherOpsEnd-1; a table indexed by raw opcode avoids any
// per-instruction lookup.
constexpr unsigned kOpcodeEnd = llvm::Instruction::OtherOpsEnd;
constexpr size_t kInstCountHeader = 3;  // TotalInsts, TotalBlocks, TotalFuncs
// LLVM 19 has 67 opcodes, filling the 70 slots exactly. Should a later LLVM add
// opcodes, those past the last slot are dropped (and still count in TotalInsts)
// so the feature vector keeps CompilerGym's fixed width.
constexpr size_t kOpcodeSlots = kNumInstCountFeatures - kInstCountHeader;
constexpr unsigned kCountedOpcodes =
    kOpcodeEnd - 1 < kOpcodeSlots ? kOpcodeEnd - 1 : static_cast<unsigned>(kOpcodeSlots);

using OpcodeCounts = std::array<int64_t, kOpcodeEnd>;

constexpr std::array<std::string_view, kNumAutophaseFeatures> kAutophaseNames = {
    "BBNumArgsHi",    "BBNumArgsLo",     "onePred",        "onePredOneSuc",  "onePredTwoSuc",
    "oneSuccessor",   "twoPred",         "twoPredOneSuc",  "twoEach",        "twoSuccessor",
    "morePreds",      "BB03Phi",         "BBHiPhi",        "BBNoPhi",        "BeginPhi",
    "BranchCount",    "returnInt",       "CriticalCount",  "NumEdges",       "const32Bit",
    "const64Bit",     "numConstZeroes",  "numConstOnes",   "UncondBranches", "binaryConstArg",
    "NumAShrInst",    "NumAddInst",      "NumAllocaInst",  "NumAndInst",     "BlockMid",
    "BlockLow",       "NumBitCastInst",  "NumBrInst",      "NumCallInst",    "NumGetElementPtrInst",
    "NumICmpInst",    "NumLShrInst",     "NumLoadInst",    "NumMulInst",     "NumOrInst",
    "NumPHIInst",     "NumRetInst",      "NumSExtInst",    "NumSelectInst",  "NumShlInst",
    "NumStoreInst",   "NumSubInst",      "NumTruncInst",   "NumXorInst",     "NumZExtInst",
    "TotalBlocks",    "TotalInsts",      "TotalMemInst",   "TotalFuncs",     "ArgsPhi",
    "testUnary",
};

// Indices into AutophaseFeatures, same order as kAutophaseNames.
enum Ap : size_t {
  kBBNumArgsHi, kBBNumArgsLo, kOnePred, kOnePredOneSuc, kOnePredTwoSuc,
  kOneSuccessor, kTwoPred, kTwoPredOneSuc, kTwoEach, kTwoSuccessor,
  kMorePreds, kBB03Phi, kBBHiPhi, kBBNoPhi, kBeginPhi,
  kBranchCount, kReturnInt, kCriticalCount, kNumEdges, kConst32Bit,
  kConst64Bit, kNumConstZeroes, kNumConstOnes, kUncondBranches, kBinaryConstArg,
  kNumAShrInst, kNumAddInst, kNumAllocaInst, kNumAndInst, kBlockMid,
  kBlockLow, kNumBitCastInst, kNumBrInst, kNumCallInst, kNumGetElementPtrInst,
  kNumICmpInst, kNumLShrInst, kNumLoadInst, kNumMulInst, kNumOrInst,
  kNumPHIInst, kNumRetInst, kNumSExtInst, kNumSelectInst, kNumShlInst,
  kNumStoreInst, kNumSubInst, kNumTruncInst, kNumXorInst, kNumZExtInst,
  kTotalBlocks, kTotalInsts, kTotalMemInst, kTotalFuncs, kArgsPhi,
  kTestUnary, kApCount,
};
static_assert(kApCount == kNumAutophaseFeatures);

std::vector<std::string> make_instcount_names() {
  std::vector<std::string> names(kNumInstCountFeatures);
  names[0] = "TotalInsts";
  names[1] = "TotalBlocks";
  names[2] = "TotalFuncs";
  // Instruction.def's enum spelling ("GetElementPtr", "ICmp", "UserOp1") is
  // readable and unique, unlike getOpcodeName's lowercase IR keywords.
#define HANDLE_INST(num, opc, cls)                              \
  if (unsigned{num} >= 1 && unsigned{num} <= kCountedOpcodes) { \
    names[kInstCountHeader + (num) - 1] = #opc "Count";         \
  }
#include <llvm/IR/Instruction.def>
  // Keep names unique even if a future LLVM leaves a slot without an opcode.
  for (size_t i = kInstCountHeader; i < names.size(); ++i) {
    if (names[i].empty()) names[i] = "Opcode" + std::to_string(i - kInstCountHeader + 1) + "Count";
  }
  return names;
}

}  // namespace

std::span<const std::string_view> autophase_feature_names() { return kAutophaseNames; }

std::span<const std::string> instcount_feature_names() {
  static const std::vector<std::string> names = make_instcount_names();
  return names;
}

AutophaseFeatures autophase_features(const llvm::Module& module) {
  AutophaseFeatures f{};
  OpcodeCounts ops{};

  for (const llvm::Function& fn : module) {
    ++f[kTotalFuncs];  // declarations too, as CompilerGym's loop does
    for (const llvm::BasicBlock& bb : fn) {
      ++f[kTotalBlocks];
      int64_t insts = 0, phis = 0, phi_args = 0;

      for (const llvm::Instruction& inst : bb) {
        ++insts;
        ++ops[inst.getOpcode()];

        if (const auto* phi = llvm::dyn_cast<llvm::PHINode>(&inst)) {
          ++phis;
          phi_args += phi->getNumIncomingValues();
        }
        if (const auto* br = llvm::dyn_cast<llvm::BranchInst>(&inst); br && br->isUnconditional()) {
          ++f[kUncondBranches];
        }
        // FreezeInst derives from UnaryInstruction, but LLVM 19's
        // UnaryInstruction::classof omits it; the spec lists it, so add it.
        if (llvm::isa<llvm::UnaryInstruction>(inst) || llvm::isa<llvm::FreezeInst>(inst)) {
          ++f[kTestUnary];
        }
        if (const auto* call = llvm::dyn_cast<llvm::CallInst>(&inst)) {
          // Indirect calls have no known callee and are not counted.
          if (const llvm::Function* callee = call->getCalledFunction();
              callee && callee->getReturnType()->isIntegerTy()) {
            ++f[kReturnInt];
          }
        }

        bool binary = llvm::isa<llvm::BinaryOperator>(inst);
        bool binary_const = false;
        for (const llvm::Use& op : inst.operands()) {
          if (binary && llvm::isa<llvm::Constant>(op.get())) binary_const = true;
          const auto* ci = llvm::dyn_cast<llvm::ConstantInt>(op.get());
          if (!ci) continue;
          unsigned width = ci->getBitWidth();
          if (width == 32) ++f[kConst32Bit];
          if (width == 64) ++f[kConst64Bit];
          // Value compared as unsigned: i1 true counts as a one.
          if (ci->isZero()) ++f[kNumConstZeroes];
          if (ci->isOne()) ++f[kNumConstOnes];
        }
        if (binary_const) ++f[kBinaryConstArg];
      }

      // Predecessors counted with duplicates (a switch with two cases to the
      // same block contributes two), like llvm::pred_size.
      int64_t preds = static_cast<int64_t>(llvm::pred_size(&bb));
      const llvm::Instruction* term = bb.getTerminator();
      int64_t succs = term ? term->getNumSuccessors() : 0;

      f[kNumEdges] += succs;
      for (int64_t i = 0; i < succs; ++i) {
        if (llvm::isCriticalEdge(term, static_cast<unsigned>(i))) ++f[kCriticalCount];
      }

      if (preds == 1) {
        ++f[kOnePred];
        if (succs == 1) ++f[kOnePredOneSuc];
        if (succs == 2) ++f[kOnePredTwoSuc];
      } else if (preds == 2) {
        ++f[kTwoPred];
        if (succs == 1) ++f[kTwoPredOneSuc];
        if (succs == 2) ++f[kTwoEach];
      } else if (preds > 2) {
        ++f[kMorePreds];
      }
      if (succs == 1) ++f[kOneSuccessor];
      if (succs == 2) ++f[kTwoSuccessor];

      if (phis == 0) ++f[kBBNoPhi];
      else if (phis <= 3) ++f[kBB03Phi];
      else ++f[kBBHiPhi];
      if (!bb.empty() && llvm::isa<llvm::PHINode>(bb.front())) ++f[kBeginPhi];

      if (phi_args > 5) ++f[kBBNumArgsHi];
      else if (phi_args >= 1) ++f[kBBNumArgsLo];
      f[kArgsPhi] += phi_args;

      // Blocks above 500 instructions ("BlockHigh") are not a feature.
      if (insts < 15) ++f[kBlockLow];
      else if (insts <= 500) ++f[kBlockMid];
      f[kTotalInsts] += insts;
    }
  }

  using I = llvm::Instruction;
  f[kBranchCount] = ops[I::Br];
  f[kNumAShrInst] = ops[I::AShr];
  f[kNumAddInst] = ops[I::Add];
  f[kNumAllocaInst] = ops[I::Alloca];
  f[kNumAndInst] = ops[I::And];
  f[kNumBitCastInst] = ops[I::BitCast];
  f[kNumBrInst] = ops[I::Br];
  f[kNumCallInst] = ops[I::Call];
  f[kNumGetElementPtrInst] = ops[I::GetElementPtr];
  f[kNumICmpInst] = ops[I::ICmp];
  f[kNumLShrInst] = ops[I::LShr];
  f[kNumLoadInst] = ops[I::Load];
  f[kNumMulInst] = ops[I::Mul];
  f[kNumOrInst] = ops[I::Or];
  f[kNumPHIInst] = ops[I::PHI];
  f[kNumRetInst] = ops[I::Ret];
  f[kNumSExtInst] = ops[I::SExt];
  f[kNumSelectInst] = ops[I::Select];
  f[kNumShlInst] = ops[I::Shl];
  f[kNumStoreInst] = ops[I::Store];
  f[kNumSubInst] = ops[I::Sub];
  f[kNumTruncInst] = ops[I::Trunc];
  f[kNumXorInst] = ops[I::Xor];
  f[kNumZExtInst] = ops[I::ZExt];
  f[kTotalMemInst] = ops[I::GetElementPtr] + ops[I::Load] + ops[I::Store] + ops[I::Call] +
                     ops[I::Invoke] + ops[I::Alloca];
  return f;
}

InstCountFeatures instcount_features(const llvm::Module& module) {
  InstCountFeatures f{};
  OpcodeCounts ops{};
  for (const llvm::Function& fn : module) {
    ++f[2];
    for (const llvm::BasicBlock& bb : fn) {
      ++f[1];
      for (const llvm::Instruction& inst : bb) {
        ++f[0];
        ++ops[inst.getOpcode()];
      }
    }
  }
  for (unsigned op = 1; op <= kCountedOpcodes; ++op) f[kInstCountHeader + op - 1] = ops[op];
  return f;
}

}  // namespace cr1::ir
