#include "ir/features.h"

#include <gtest/gtest.h>
#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/Instruction.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <string_view>

namespace {

using cr1::ir::autophase_feature_names;
using cr1::ir::autophase_features;
using cr1::ir::instcount_feature_names;
using cr1::ir::instcount_features;

// Owns the context so the module outlives the helper call.
struct Parsed {
  std::unique_ptr<llvm::LLVMContext> ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> module;
};

Parsed parse(std::string_view ir) {
  Parsed p;
  llvm::SMDiagnostic err;
  p.module = llvm::parseAssemblyString(ir, err, *p.ctx);
  if (!p.module) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    err.print("test", os);
    ADD_FAILURE() << "parse failed: " << msg;
    return p;
  }
  // Hand-written IR must be valid, or the expected counts mean nothing.
  std::string verr;
  llvm::raw_string_ostream vos(verr);
  if (llvm::verifyModule(*p.module, &vos)) ADD_FAILURE() << "invalid IR: " << verr;
  return p;
}

// AutoPhase features looked up by name, so tests read like the spec table.
struct Ap {
  cr1::ir::AutophaseFeatures v{};
  int64_t operator[](std::string_view name) const {
    auto names = autophase_feature_names();
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      ADD_FAILURE() << "no AutoPhase feature named " << name;
      return -1;
    }
    return v[static_cast<size_t>(it - names.begin())];
  }
};

Ap ap(std::string_view ir) {
  Parsed p = parse(ir);
  if (!p.module) return {};
  return {autophase_features(*p.module)};
}

struct Ic {
  cr1::ir::InstCountFeatures v{};
  int64_t operator[](std::string_view name) const {
    auto names = instcount_feature_names();
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      ADD_FAILURE() << "no InstCount feature named " << name;
      return -1;
    }
    return v[static_cast<size_t>(it - names.begin())];
  }
};

// ---------------------------------------------------------------------------
// Names

TEST(AutophaseFeatures, NamesInSpecOrder) {
  // Straight from shared/reference/autophase-features.md, index 0..55.
  const std::vector<std::string_view> expected = {
      "BBNumArgsHi",  "BBNumArgsLo",  "onePred",        "onePredOneSuc",        "onePredTwoSuc",
      "oneSuccessor", "twoPred",      "twoPredOneSuc",  "twoEach",              "twoSuccessor",
      "morePreds",    "BB03Phi",      "BBHiPhi",        "BBNoPhi",              "BeginPhi",
      "BranchCount",  "returnInt",    "CriticalCount",  "NumEdges",             "const32Bit",
      "const64Bit",   "numConstZeroes", "numConstOnes", "UncondBranches",       "binaryConstArg",
      "NumAShrInst",  "NumAddInst",   "NumAllocaInst",  "NumAndInst",           "BlockMid",
      "BlockLow",     "NumBitCastInst", "NumBrInst",    "NumCallInst",          "NumGetElementPtrInst",
      "NumICmpInst",  "NumLShrInst",  "NumLoadInst",    "NumMulInst",           "NumOrInst",
      "NumPHIInst",   "NumRetInst",   "NumSExtInst",    "NumSelectInst",        "NumShlInst",
      "NumStoreInst", "NumSubInst",   "NumTruncInst",   "NumXorInst",           "NumZExtInst",
      "TotalBlocks",  "TotalInsts",   "TotalMemInst",   "TotalFuncs",           "ArgsPhi",
      "testUnary",
  };
  auto names = autophase_feature_names();
  ASSERT_EQ(names.size(), 56u);
  ASSERT_EQ(expected.size(), 56u);
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], expected[i]) << "index " << i;
  std::set<std::string_view> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), 56u);
}

TEST(InstCountFeatures, NamesUniqueAndInOpcodeOrder) {
  auto names = instcount_feature_names();
  ASSERT_EQ(names.size(), 70u);
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), 70u);
  for (const auto& n : names) EXPECT_FALSE(n.empty());
  EXPECT_EQ(names[0], "TotalInsts");
  EXPECT_EQ(names[1], "TotalBlocks");
  EXPECT_EQ(names[2], "TotalFuncs");
  EXPECT_EQ(names[3], "RetCount");
  EXPECT_EQ(names[4], "BrCount");
  EXPECT_EQ(names[3 + llvm::Instruction::GetElementPtr - 1], "GetElementPtrCount");
  EXPECT_EQ(names[3 + llvm::Instruction::ICmp - 1], "ICmpCount");
  EXPECT_EQ(names[3 + llvm::Instruction::PHI - 1], "PHICount");
  EXPECT_EQ(names[3 + llvm::Instruction::Freeze - 1], "FreezeCount");
  // LLVM 19 has exactly 67 opcodes, so Freeze is the last slot.
  EXPECT_EQ(llvm::Instruction::OtherOpsEnd - 1, 67u);
  EXPECT_EQ(names[69], "FreezeCount");
}

// ---------------------------------------------------------------------------
// CFG shape

// entry -> head; head -> body|exit; body -> left|latch; left -> latch;
// latch -> head (back edge); exit returns.
constexpr std::string_view kLoopCfg = R"(
define void @g(i1 %c) {
entry:
  br label %head
head:
  br i1 %c, label %body, label %exit
body:
  br i1 %c, label %left, label %latch
left:
  br label %latch
latch:
  br label %head
exit:
  ret void
}
)";

TEST(AutophaseFeatures, PredecessorSuccessorShapes) {
  Ap f = ap(kLoopCfg);
  // preds/succs: entry 0/1, head 2/2, body 1/2, left 1/1, latch 2/1, exit 1/0.
  EXPECT_EQ(f["onePred"], 3);         // body, left, exit
  EXPECT_EQ(f["onePredOneSuc"], 1);   // left
  EXPECT_EQ(f["onePredTwoSuc"], 1);   // body
  EXPECT_EQ(f["oneSuccessor"], 3);    // entry, left, latch
  EXPECT_EQ(f["twoPred"], 2);         // head, latch
  EXPECT_EQ(f["twoPredOneSuc"], 1);   // latch
  EXPECT_EQ(f["twoEach"], 1);         // head
  EXPECT_EQ(f["twoSuccessor"], 2);    // head, body
  EXPECT_EQ(f["morePreds"], 0);
  EXPECT_EQ(f["NumEdges"], 7);
  EXPECT_EQ(f["CriticalCount"], 1);   // body -> latch
  EXPECT_EQ(f["BranchCount"], 5);
  EXPECT_EQ(f["NumBrInst"], 5);
  EXPECT_EQ(f["UncondBranches"], 3);  // entry, left, latch
  EXPECT_EQ(f["NumRetInst"], 1);
  EXPECT_EQ(f["TotalBlocks"], 6);
  EXPECT_EQ(f["TotalInsts"], 6);
  EXPECT_EQ(f["BlockLow"], 6);
  EXPECT_EQ(f["BlockMid"], 0);
  EXPECT_EQ(f["BBNoPhi"], 6);
}

TEST(AutophaseFeatures, SwitchDuplicateEdgesCountAsPredecessors) {
  // Two switch cases go to %t: with %d, %t has three predecessor edges.
  Ap f = ap(R"(
define void @s(i32 %x) {
entry:
  switch i32 %x, label %d [ i32 0, label %t
                            i32 1, label %t ]
d:
  br label %t
t:
  ret void
}
)");
  EXPECT_EQ(f["morePreds"], 1);       // t
  EXPECT_EQ(f["onePred"], 1);         // d
  EXPECT_EQ(f["onePredOneSuc"], 1);   // d
  EXPECT_EQ(f["twoPred"], 0);
  EXPECT_EQ(f["oneSuccessor"], 1);    // d
  EXPECT_EQ(f["twoSuccessor"], 0);    // entry has 3
  EXPECT_EQ(f["NumEdges"], 4);
  EXPECT_EQ(f["CriticalCount"], 2);   // both entry -> t edges
  EXPECT_EQ(f["BranchCount"], 1);     // switch is not a br
  EXPECT_EQ(f["UncondBranches"], 1);
  // Switch case values are ConstantInt operands.
  EXPECT_EQ(f["const32Bit"], 2);
  EXPECT_EQ(f["numConstZeroes"], 1);
  EXPECT_EQ(f["numConstOnes"], 1);
}

TEST(AutophaseFeatures, CriticalEdgeOfIfWithoutElse) {
  Ap f = ap(R"(
define void @crit(i1 %c) {
entry:
  br i1 %c, label %then, label %merge
then:
  br label %merge
merge:
  ret void
}
)");
  EXPECT_EQ(f["CriticalCount"], 1);   // entry -> merge
  EXPECT_EQ(f["NumEdges"], 3);
  EXPECT_EQ(f["twoPred"], 1);
  EXPECT_EQ(f["twoPredOneSuc"], 0);   // merge has no successor
  EXPECT_EQ(f["twoEach"], 0);
  EXPECT_EQ(f["onePredOneSuc"], 1);   // then
  EXPECT_EQ(f["twoSuccessor"], 1);
  EXPECT_EQ(f["UncondBranches"], 1);
  EXPECT_EQ(f["BranchCount"], 2);
}

// ---------------------------------------------------------------------------
// Phi nodes

TEST(AutophaseFeatures, PhiCounts) {
  Ap f = ap(R"(
define i32 @phis(i1 %c, i32 %x) {
entry:
  br i1 %c, label %a, label %b
a:
  br label %m
b:
  br label %m
m:
  %m1 = phi i32 [ 1, %a ], [ 2, %b ]
  %m2 = phi i32 [ %x, %a ], [ 0, %b ]
  %m3 = phi i32 [ %x, %a ], [ %x, %b ]
  %m4 = phi i32 [ 7, %a ], [ 8, %b ]
  br i1 %c, label %n, label %k
n:
  %n1 = phi i32 [ %m1, %m ]
  br label %k
k:
  %k1 = phi i32 [ %m1, %m ], [ %n1, %n ]
  %k2 = phi i32 [ %m2, %m ], [ %n1, %n ]
  %k3 = phi i32 [ %m3, %m ], [ %m4, %n ]
  %s = add i32 %k1, %k2
  %t = add i32 %s, %k3
  ret i32 %t
}
)");
  // m: 4 phis / 8 incoming; n: 1 / 1; k: 3 / 6; entry, a, b: none.
  EXPECT_EQ(f["NumPHIInst"], 8);
  EXPECT_EQ(f["BBHiPhi"], 1);       // m
  EXPECT_EQ(f["BB03Phi"], 2);       // n, k
  EXPECT_EQ(f["BBNoPhi"], 3);
  EXPECT_EQ(f["BeginPhi"], 3);
  EXPECT_EQ(f["BBNumArgsHi"], 2);   // m (8), k (6)
  EXPECT_EQ(f["BBNumArgsLo"], 1);   // n (1)
  EXPECT_EQ(f["ArgsPhi"], 15);
  // Phi incoming constants are operands: 1, 2, 0, 7, 8.
  EXPECT_EQ(f["const32Bit"], 5);
  EXPECT_EQ(f["numConstZeroes"], 1);
  EXPECT_EQ(f["numConstOnes"], 1);
}

TEST(AutophaseFeatures, PhiArgsBoundaryAtFive) {
  // One phi with five incoming entries (all from the switch block): still "Lo".
  Ap f = ap(R"(
define i32 @five(i32 %x) {
entry:
  switch i32 %x, label %j [ i32 10, label %j
                            i32 11, label %j
                            i32 12, label %j
                            i32 13, label %j ]
j:
  %p = phi i32 [ %x, %entry ], [ %x, %entry ], [ %x, %entry ], [ %x, %entry ], [ %x, %entry ]
  ret i32 %p
}
)");
  EXPECT_EQ(f["BBNumArgsLo"], 1);
  EXPECT_EQ(f["BBNumArgsHi"], 0);
  EXPECT_EQ(f["ArgsPhi"], 5);
  EXPECT_EQ(f["BB03Phi"], 1);
  EXPECT_EQ(f["BeginPhi"], 1);
  EXPECT_EQ(f["morePreds"], 1);      // j: 5 edges from entry
  EXPECT_EQ(f["NumEdges"], 5);
  EXPECT_EQ(f["CriticalCount"], 5);
}

// ---------------------------------------------------------------------------
// Constants

TEST(AutophaseFeatures, ConstantOperands) {
  Ap f = ap(R"(
define i64 @c(i32 %a, i64 %b, i8 %z, ptr %p) {
  %1 = add i32 %a, 0
  %2 = mul i32 %1, 1
  %3 = add i64 %b, 1
  %4 = sub i64 %3, %b
  %5 = xor i8 %z, 0
  %6 = icmp eq i32 %2, 7
  %7 = add i32 %a, undef
  %8 = select i1 %6, i64 0, i64 %4
  store i64 2, ptr %p
  %9 = getelementptr i32, ptr %p, i64 1
  %10 = add i32 1, 2
  ret i64 %8
}
)");
  // i32: 0 (%1), 1 (%2), 7 (%6), 1 and 2 (%10).
  EXPECT_EQ(f["const32Bit"], 5);
  // i64: 1 (%3), 0 (%8), 2 (store), 1 (%9).
  EXPECT_EQ(f["const64Bit"], 4);
  // %1, %5 (i8), %8.
  EXPECT_EQ(f["numConstZeroes"], 3);
  // %2, %3, %9, %10.
  EXPECT_EQ(f["numConstOnes"], 4);
  // %1 %2 %3 %5 %7 (undef is a Constant) %10 (counted once); not %4.
  EXPECT_EQ(f["binaryConstArg"], 6);
  EXPECT_EQ(f["NumAddInst"], 4);
  EXPECT_EQ(f["NumMulInst"], 1);
  EXPECT_EQ(f["NumSubInst"], 1);
  EXPECT_EQ(f["NumXorInst"], 1);
  EXPECT_EQ(f["NumICmpInst"], 1);
  EXPECT_EQ(f["NumSelectInst"], 1);
  EXPECT_EQ(f["NumStoreInst"], 1);
  EXPECT_EQ(f["NumGetElementPtrInst"], 1);
  EXPECT_EQ(f["TotalMemInst"], 2);
}

TEST(AutophaseFeatures, BoolConstantsCountAsZeroAndOne) {
  // Zero/one compare the unsigned value, so i1 true is a one.
  Ap f = ap(R"(
define i1 @b(i1 %x) {
  %r = and i1 %x, true
  %s = or i1 %r, false
  ret i1 %s
}
)");
  EXPECT_EQ(f["numConstOnes"], 1);
  EXPECT_EQ(f["numConstZeroes"], 1);
  EXPECT_EQ(f["const32Bit"], 0);
  EXPECT_EQ(f["const64Bit"], 0);
  EXPECT_EQ(f["binaryConstArg"], 2);
  EXPECT_EQ(f["NumAndInst"], 1);
  EXPECT_EQ(f["NumOrInst"], 1);
}

// ---------------------------------------------------------------------------
// Opcode counts

// Counts per opcode: ashr 1, add 3, alloca 3, and 4, bitcast 1, br 2, call 3,
// gep 2, icmp 1, lshr 2, load 3, mul 1, or 2, phi 1, ret 1, sext 2, select 1,
// shl 3, store 2, sub 1, trunc 2, xor 3, zext 1: 45 instructions.
constexpr std::string_view kOpcodeMix = R"(
declare i32 @ext(i32)

define i32 @ops(i32 %a, i64 %w, i1 %c) {
entry:
  %p1 = alloca i32
  %p2 = alloca i64
  %p3 = alloca [4 x i32]
  store i32 %a, ptr %p1
  store i64 %w, ptr %p2
  %l1 = load i32, ptr %p1
  %l2 = load i64, ptr %p2
  %g1 = getelementptr [4 x i32], ptr %p3, i64 0, i64 1
  %g2 = getelementptr i32, ptr %g1, i64 2
  %l3 = load i32, ptr %g2
  %x1 = ashr i32 %l1, 1
  %x2 = add i32 %x1, %l3
  %x3 = add i32 %x2, 5
  %x4 = and i32 %x3, 255
  %x5 = and i32 %x4, %a
  %x6 = and i32 %x5, %x1
  %x7 = and i32 %x6, %x2
  %f = bitcast i32 %x7 to float
  %c1 = call i32 @ext(i32 %x7)
  %c2 = call i32 @ext(i32 %c1)
  %c3 = call i32 @ext(i32 %c2)
  %cmp = icmp slt i32 %c3, 0
  br i1 %cmp, label %then, label %join
then:
  %y1 = lshr i32 %c3, 2
  %y2 = lshr i32 %y1, 1
  %y3 = mul i32 %y2, 3
  %y4 = or i32 %y3, 1
  %y5 = or i32 %y4, 2
  br label %join
join:
  %ph = phi i32 [ %c3, %entry ], [ %y5, %then ]
  %s1 = sext i32 %ph to i64
  %s2 = sext i32 %a to i64
  %sel = select i1 %c, i64 %s1, i64 %s2
  %h1 = shl i64 %sel, 1
  %h2 = shl i64 %h1, 2
  %h3 = shl i64 %h2, 3
  %sb = sub i64 %h3, %l2
  %t1 = trunc i64 %sb to i32
  %t2 = trunc i64 %w to i8
  %r1 = xor i32 %t1, -1
  %r2 = xor i32 %r1, 7
  %r3 = xor i32 %r2, %a
  %z = zext i8 %t2 to i32
  %res = add i32 %r3, %z
  ret i32 %res
}
)";

TEST(AutophaseFeatures, OpcodeCounts) {
  Ap f = ap(kOpcodeMix);
  EXPECT_EQ(f["NumAShrInst"], 1);
  EXPECT_EQ(f["NumAddInst"], 3);
  EXPECT_EQ(f["NumAllocaInst"], 3);
  EXPECT_EQ(f["NumAndInst"], 4);
  EXPECT_EQ(f["NumBitCastInst"], 1);
  EXPECT_EQ(f["NumBrInst"], 2);
  EXPECT_EQ(f["NumCallInst"], 3);
  EXPECT_EQ(f["NumGetElementPtrInst"], 2);
  EXPECT_EQ(f["NumICmpInst"], 1);
  EXPECT_EQ(f["NumLShrInst"], 2);
  EXPECT_EQ(f["NumLoadInst"], 3);
  EXPECT_EQ(f["NumMulInst"], 1);
  EXPECT_EQ(f["NumOrInst"], 2);
  EXPECT_EQ(f["NumPHIInst"], 1);
  EXPECT_EQ(f["NumRetInst"], 1);
  EXPECT_EQ(f["NumSExtInst"], 2);
  EXPECT_EQ(f["NumSelectInst"], 1);
  EXPECT_EQ(f["NumShlInst"], 3);
  EXPECT_EQ(f["NumStoreInst"], 2);
  EXPECT_EQ(f["NumSubInst"], 1);
  EXPECT_EQ(f["NumTruncInst"], 2);
  EXPECT_EQ(f["NumXorInst"], 3);
  EXPECT_EQ(f["NumZExtInst"], 1);
  EXPECT_EQ(f["BranchCount"], 2);
  EXPECT_EQ(f["UncondBranches"], 1);
  EXPECT_EQ(f["TotalInsts"], 45);
  EXPECT_EQ(f["TotalBlocks"], 3);
  EXPECT_EQ(f["TotalFuncs"], 2);  // @ops and the @ext declaration
  // gep 2 + load 3 + store 2 + call 3 + alloca 3.
  EXPECT_EQ(f["TotalMemInst"], 13);
  EXPECT_EQ(f["returnInt"], 3);
  // entry has 23 instructions, then 6, join 16.
  EXPECT_EQ(f["BlockMid"], 2);
  EXPECT_EQ(f["BlockLow"], 1);
}

TEST(AutophaseFeatures, InvokeIsMemInstButNotReturnInt) {
  Ap f = ap(R"(
declare i32 @__gxx_personality_v0(...)
declare i32 @may_throw()

define i32 @inv() personality ptr @__gxx_personality_v0 {
entry:
  %v = invoke i32 @may_throw() to label %ok unwind label %lp
ok:
  ret i32 %v
lp:
  %l = landingpad { ptr, i32 } cleanup
  resume { ptr, i32 } %l
}
)");
  EXPECT_EQ(f["TotalMemInst"], 1);
  EXPECT_EQ(f["NumCallInst"], 0);
  EXPECT_EQ(f["returnInt"], 0);   // only `call` counts
  EXPECT_EQ(f["testUnary"], 0);   // landingpad is not a UnaryInstruction
  EXPECT_EQ(f["twoSuccessor"], 1);
  EXPECT_EQ(f["NumEdges"], 2);
  EXPECT_EQ(f["TotalFuncs"], 3);
}

// ---------------------------------------------------------------------------
// Calls, unary instructions, block sizes, totals

TEST(AutophaseFeatures, ReturnIntCountsDirectIntegerCalls) {
  Ap f = ap(R"(
declare i32 @geti()
declare void @getv()
declare i64 @getl()
declare float @getf()
declare i32 @llvm.ctpop.i32(i32)

define i32 @r(ptr %fp) {
  %a = call i32 @geti()
  call void @getv()
  %b = call i64 @getl()
  %c = call float @getf()
  %d = call i32 %fp()
  %e = call i32 @llvm.ctpop.i32(i32 %a)
  ret i32 %e
}
)");
  // @geti, @getl and the intrinsic; not void, float, or the indirect call.
  EXPECT_EQ(f["returnInt"], 3);
  EXPECT_EQ(f["NumCallInst"], 6);
  EXPECT_EQ(f["TotalMemInst"], 6);
  EXPECT_EQ(f["TotalFuncs"], 6);
  EXPECT_EQ(f["TotalBlocks"], 1);
  EXPECT_EQ(f["TotalInsts"], 7);
}

TEST(AutophaseFeatures, TestUnaryCountsUnaryInstructions) {
  Ap f = ap(R"(
define float @u(i64 %w, float %f, ptr %ap) {
  %a = alloca i32
  %l = load i32, ptr %a
  %t = trunc i64 %w to i16
  %z = zext i16 %t to i32
  %s = sext i16 %t to i64
  %b = bitcast float %f to i32
  %n = fneg float %f
  %fr = freeze i32 %l
  %v = va_arg ptr %ap, i32
  %agg = insertvalue { i32, i32 } poison, i32 %fr, 0
  %e = extractvalue { i32, i32 } %agg, 0
  %sum = add i32 %e, %z
  store i32 %sum, ptr %a
  %fa = fadd float %n, %f
  ret float %fa
}
)");
  // alloca load trunc zext sext bitcast fneg freeze va_arg extractvalue; freeze
  // counts although isa<UnaryInstruction> is false for it in LLVM 19.
  EXPECT_EQ(f["testUnary"], 10);
  EXPECT_EQ(f["binaryConstArg"], 0);  // fneg is not a BinaryOperator
  EXPECT_EQ(f["NumBitCastInst"], 1);
  EXPECT_EQ(f["NumTruncInst"], 1);
  EXPECT_EQ(f["NumZExtInst"], 1);
  EXPECT_EQ(f["NumSExtInst"], 1);
  EXPECT_EQ(f["TotalMemInst"], 3);    // alloca, load, store
}

std::string block_of(std::string_view label, int adds, std::string_view terminator, int& next_id) {
  std::string s = std::string(label) + ":\n";
  for (int i = 0; i < adds; ++i) s += "  %v" + std::to_string(next_id++) + " = add i32 %x, 3\n";
  s += "  " + std::string(terminator) + "\n";
  return s;
}

TEST(AutophaseFeatures, BlockSizeBuckets) {
  int id = 0;
  std::string ir = "define i32 @big(i32 %x) {\n";
  ir += block_of("b14", 13, "br label %b15", id);     // 14 instructions: low
  ir += block_of("b15", 14, "br label %b500", id);    // 15: mid
  ir += block_of("b500", 499, "br label %b501", id);  // 500: mid
  ir += block_of("b501", 500, "ret i32 %x", id);      // 501: neither
  ir += "}\n";
  Ap f = ap(ir);
  EXPECT_EQ(f["BlockLow"], 1);
  EXPECT_EQ(f["BlockMid"], 2);
  EXPECT_EQ(f["TotalBlocks"], 4);
  EXPECT_EQ(f["TotalInsts"], 14 + 15 + 500 + 501);
  EXPECT_EQ(f["binaryConstArg"], 13 + 14 + 499 + 500);
}

TEST(AutophaseFeatures, TotalsCountDeclarations) {
  Parsed p = parse(R"(
declare void @d1()
declare i32 @d2(i32)
declare i32 @llvm.ctpop.i32(i32)

define void @f1() {
  ret void
}

define i32 @f2(i32 %x) {
entry:
  br label %next
next:
  ret i32 %x
}
)");
  ASSERT_TRUE(p.module);
  auto v = autophase_features(*p.module);
  Ap f{v};
  EXPECT_EQ(f["TotalFuncs"], 5);
  EXPECT_EQ(f["TotalBlocks"], 3);
  EXPECT_EQ(f["TotalInsts"], 3);
  EXPECT_EQ(f["TotalInsts"], static_cast<int64_t>(p.module->getInstructionCount()));
  EXPECT_EQ(f["NumRetInst"], 2);
  EXPECT_EQ(f["onePred"], 1);
  EXPECT_EQ(f["onePredOneSuc"], 0);
  EXPECT_EQ(f["oneSuccessor"], 1);
}

TEST(AutophaseFeatures, EmptyModuleIsAllZero) {
  Parsed p = parse("");
  ASSERT_TRUE(p.module);
  for (int64_t x : autophase_features(*p.module)) EXPECT_EQ(x, 0);
  for (int64_t x : instcount_features(*p.module)) EXPECT_EQ(x, 0);
}

// ---------------------------------------------------------------------------
// InstCount

TEST(InstCountFeatures, PerOpcodeCounts) {
  Parsed p = parse(R"(
declare void @sink(float)

define i32 @small(i32 %a, float %f) {
entry:
  %n = fneg float %f
  call void @sink(float %n)
  %fr = freeze i32 %a
  %c = icmp eq i32 %fr, 0
  br i1 %c, label %t, label %e
t:
  %x = add i32 %fr, 1
  %y = add i32 %x, %a
  ret i32 %y
e:
  unreachable
}
)");
  ASSERT_TRUE(p.module);
  Ic f{instcount_features(*p.module)};
  EXPECT_EQ(f["TotalInsts"], 9);
  EXPECT_EQ(f["TotalBlocks"], 3);
  EXPECT_EQ(f["TotalFuncs"], 2);
  EXPECT_EQ(f["RetCount"], 1);
  EXPECT_EQ(f["BrCount"], 1);
  EXPECT_EQ(f["UnreachableCount"], 1);
  EXPECT_EQ(f["FNegCount"], 1);
  EXPECT_EQ(f["CallCount"], 1);
  EXPECT_EQ(f["FreezeCount"], 1);
  EXPECT_EQ(f["ICmpCount"], 1);
  EXPECT_EQ(f["AddCount"], 2);
  EXPECT_EQ(f["SubCount"], 0);
  EXPECT_EQ(f["LoadCount"], 0);
  EXPECT_EQ(f["SwitchCount"], 0);
}

TEST(InstCountFeatures, TotalsMatchModuleAndOpcodesSumToTotal) {
  for (std::string_view ir : {kOpcodeMix, kLoopCfg}) {
    Parsed p = parse(ir);
    ASSERT_TRUE(p.module);
    auto v = instcount_features(*p.module);
    EXPECT_EQ(v[0], static_cast<int64_t>(p.module->getInstructionCount()));
    EXPECT_EQ(std::accumulate(v.begin() + 3, v.end(), int64_t{0}), v[0]);
    Ap a{autophase_features(*p.module)};
    EXPECT_EQ(v[0], a["TotalInsts"]);
    EXPECT_EQ(v[1], a["TotalBlocks"]);
    EXPECT_EQ(v[2], a["TotalFuncs"]);
  }
}

TEST(InstCountFeatures, AgreesWithAutophaseOpcodeCounts) {
  Parsed p = parse(kOpcodeMix);
  ASSERT_TRUE(p.module);
  Ic ic{instcount_features(*p.module)};
  Ap ap_f{autophase_features(*p.module)};
  const std::pair<std::string_view, std::string_view> pairs[] = {
      {"NumAShrInst", "AShrCount"},     {"NumAddInst", "AddCount"},
      {"NumAllocaInst", "AllocaCount"}, {"NumAndInst", "AndCount"},
      {"NumBitCastInst", "BitCastCount"}, {"NumBrInst", "BrCount"},
      {"NumCallInst", "CallCount"},     {"NumGetElementPtrInst", "GetElementPtrCount"},
      {"NumICmpInst", "ICmpCount"},     {"NumLShrInst", "LShrCount"},
      {"NumLoadInst", "LoadCount"},     {"NumMulInst", "MulCount"},
      {"NumOrInst", "OrCount"},         {"NumPHIInst", "PHICount"},
      {"NumRetInst", "RetCount"},       {"NumSExtInst", "SExtCount"},
      {"NumSelectInst", "SelectCount"}, {"NumShlInst", "ShlCount"},
      {"NumStoreInst", "StoreCount"},   {"NumSubInst", "SubCount"},
      {"NumTruncInst", "TruncCount"},   {"NumXorInst", "XorCount"},
      {"NumZExtInst", "ZExtCount"},
  };
  for (auto [a, i] : pairs) EXPECT_EQ(ap_f[a], ic[i]) << a << " vs " << i;
}

}  // namespace
