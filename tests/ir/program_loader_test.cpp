#include "ir/program_loader.h"

#include <gtest/gtest.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Module.h>

#include "test_support.h"

namespace cr1::ir {
namespace {

constexpr const char* kTinyIR = R"(
define i32 @add(i32 %a, i32 %b) {
  %s = add i32 %a, %b
  ret i32 %s
}
)";

TEST(ProgramLoader, LoadsTextualIR) {
  test::TempDir dir;
  auto p = load_program(std::vector<std::filesystem::path>{dir.file("t.ll", kTinyIR)});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->module->getInstructionCount(), 2u);
  EXPECT_EQ(p->recipe, "ir");
  EXPECT_EQ(p->name, "t");
}

TEST(ProgramLoader, LoadsBitcodeItWrote) {
  test::TempDir dir;
  auto p = test::load_or_die(dir.file("t.ll", kTinyIR));
  ASSERT_TRUE(write_module(*p.module, dir.path / "t.bc").ok());
  auto q = test::load_or_die(dir.path / "t.bc");
  EXPECT_EQ(q.module->getInstructionCount(), 2u);
}

TEST(ProgramLoader, CompilesCWithOzRecipe) {
  auto p = test::load_or_die(test::example("wordfreq.c"));
  EXPECT_NE(p.recipe.find("-disable-llvm-passes"), std::string::npos);
  auto* main_fn = p.module->getFunction("main");
  ASSERT_NE(main_fn, nullptr);
  // The Oz recipe keeps the size attributes that make default<Oz> equal clang -Oz.
  EXPECT_TRUE(main_fn->hasMinSize());
  EXPECT_GT(p.module->getInstructionCount(), 300u);
}

TEST(ProgramLoader, O0RecipeHasNoOptnone) {
  auto p = test::load_or_die(test::example("matrix.c"), Recipe::O0);
  EXPECT_NE(p.recipe.find("-disable-O0-optnone"), std::string::npos);
  for (auto& f : *p.module)
    if (!f.isDeclaration()) {
      EXPECT_FALSE(f.hasOptNone()) << f.getName().str();
      EXPECT_FALSE(f.hasMinSize()) << f.getName().str();
    }
}

TEST(ProgramLoader, LinksSeveralSources) {
  test::TempDir dir;
  auto a = dir.file("a.c", "int helper(int x);\nint main(void) { return helper(3); }\n");
  auto b = dir.file("b.c", "int helper(int x) { return x * 2; }\n");
  auto p = load_program(std::vector<std::filesystem::path>{a, b});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_FALSE(p->module->getFunction("helper")->isDeclaration());
  EXPECT_EQ(p->inputs.size(), 2u);
}

TEST(ProgramLoader, ConflictingDefinitionsAreAnError) {
  test::TempDir dir;
  auto a = dir.file("a.c", "int f(void) { return 1; }\n");
  auto b = dir.file("b.c", "int f(void) { return 2; }\n");
  auto p = load_program(std::vector<std::filesystem::path>{a, b});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("b.c"), std::string::npos);
}

TEST(ProgramLoader, MissingFile) {
  auto p = load_program(std::vector<std::filesystem::path>{"/nonexistent/x.ll"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::not_found);
  EXPECT_NE(p.error().message.find("/nonexistent/x.ll"), std::string::npos);
}

TEST(ProgramLoader, MalformedIRNamesLine) {
  test::TempDir dir;
  auto p = load_program(std::vector<std::filesystem::path>{dir.file("bad.ll", "define i32 @f() {\n  ret i64 0\n}\n")});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::parse);
  EXPECT_NE(p.error().message.find("bad.ll:2:"), std::string::npos) << p.error().message;
  EXPECT_EQ(p.error().message.find('\n'), std::string::npos);
}

TEST(ProgramLoader, GarbageBitcode) {
  test::TempDir dir;
  auto p = load_program(std::vector<std::filesystem::path>{dir.file("bad.bc", "BC\xC0\xDE garbage")});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::parse);
}

TEST(ProgramLoader, CompileErrorNamesFileAndLine) {
  test::TempDir dir;
  auto p = load_program(std::vector<std::filesystem::path>{dir.file("bad.c", "int main(void) { return x; }\n")});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::compile);
  EXPECT_NE(p.error().message.find("bad.c:1:"), std::string::npos) << p.error().message;
}

TEST(ProgramLoader, UnknownSuffix) {
  test::TempDir dir;
  auto p = load_program(std::vector<std::filesystem::path>{dir.file("x.txt", "hello")});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::invalid_input);
}

}  // namespace
}  // namespace cr1::ir

namespace cr1::ir {
namespace {

// Bitcode from an older LLVM loads through LLVM's own upgrade path.
TEST(ProgramLoader, LoadsOlderLLVMBitcode) {
  if (::access("/usr/bin/clang-14", X_OK) != 0) GTEST_SKIP() << "clang-14 not installed";
  test::TempDir dir;
  auto bc = dir.path / "old.bc";
  auto r = run_subprocess({"/usr/bin/clang-14", "-c", "-emit-llvm", "-O1", "-o", bc.string(), test::example("matrix.c").string()});
  ASSERT_TRUE(r.success()) << r.err;
  auto p = load_program(std::vector<std::filesystem::path>{bc});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_GT(p->module->getInstructionCount(), 50u);
}

// Text from a newer or foreign dialect fails with a located message.
TEST(ProgramLoader, UnknownIRSyntaxIsAClearError) {
  test::TempDir dir;
  auto p = load_program(std::vector<std::filesystem::path>{
      dir.file("future.ll", "define i32 @f() {\n  %x = frobnicate i32 1\n  ret i32 %x\n}\n")});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("future.ll:2:"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace cr1::ir
