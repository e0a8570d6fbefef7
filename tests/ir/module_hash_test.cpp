#include "ir/module_hash.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1::ir {
namespace {

TEST(ModuleHash, SameIRFromTwoPathsHashesTheSame) {
  test::TempDir dir;
  const char* ir = "define i32 @f(i32 %x) {\n  %y = mul i32 %x, 3\n  ret i32 %y\n}\n";
  auto a = test::load_or_die(dir.file("a.ll", ir));
  auto b = test::load_or_die(dir.file("b.ll", ir));
  EXPECT_EQ(module_hash(*a.module), module_hash(*b.module));
  EXPECT_EQ(module_hash(*a.module).size(), 32u);
}

TEST(ModuleHash, DifferentIRHashesDifferently) {
  test::TempDir dir;
  auto a = test::load_or_die(dir.file("a.ll", "define i32 @f(i32 %x) {\n  ret i32 %x\n}\n"));
  auto b = test::load_or_die(dir.file("b.ll", "define i32 @f(i32 %x) {\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n"));
  EXPECT_NE(module_hash(*a.module), module_hash(*b.module));
}

TEST(ModuleHash, HashingLeavesModuleUnchanged) {
  auto p = test::load_or_die(test::example("matrix.c"));
  std::string name = p.module->getSourceFileName();
  auto h1 = module_hash(*p.module);
  EXPECT_EQ(p.module->getSourceFileName(), name);
  EXPECT_EQ(module_hash(*p.module), h1);
}

}  // namespace
}  // namespace cr1::ir
