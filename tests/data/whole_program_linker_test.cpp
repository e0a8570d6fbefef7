#include "data/whole_program_linker.h"

#include <gtest/gtest.h>

#include <llvm/IR/Module.h>

#include "ir/module_hash.h"
#include "test_support.h"

namespace cr1::data {
namespace {
namespace fs = std::filesystem;

std::string clang() {
  if (const char* env = std::getenv("CR1_CLANG"); env && *env) return env;
  return CR1_CLANG_PATH;
}

// Compiles each (name, C text) to bitcode with the corpus recipe; the paths, in order.
std::vector<fs::path> compile_all(const test::TempDir& dir, const std::vector<std::pair<std::string, std::string>>& tus) {
  std::vector<fs::path> out;
  for (const auto& [name, text] : tus) {
    auto src = dir.file(name + ".c", text);
    auto bc = dir.path / (name + ".bc");
    auto r = run_subprocess(
        {clang(), "-c", "-emit-llvm", "-Oz", "-Xclang", "-disable-llvm-passes", "-w", "-o", bc.string(), src.string()});
    if (!r.success()) throw std::runtime_error(r.err);
    out.push_back(bc);
  }
  return out;
}

// What the corpus linked before: every member read in full, then LinkOnlyNeeded.
ir::Program eager_link(const std::vector<fs::path>& members) {
  ir::LoadOptions o;
  o.link_only_needed = true;
  auto p = ir::load_program(members, o);
  if (!p) throw std::runtime_error(p.error().message);
  return std::move(*p);
}

const std::vector<std::pair<std::string, std::string>> kProgram = {
    {"main", "int helper(int);\nextern int table[4];\nint main(int c, char** v) { return helper(c) + table[c & 3]; }\n"},
    {"helper",
     "int deep(int);\nint helper(int x) { int s = 0; for (int i = 0; i < x; i++) s += deep(i); return s; }\n"
     "int unused_in_helper(int x) { return x * 3 + 1; }\n"},
    {"deep", "int table[4] = {1, 2, 3, 4};\nstatic int sq(int x) { return x * x; }\nint deep(int x) { return sq(x) + 7; }\n"
             "int unused_in_deep(int x) { while (x > 1) x = x & 1 ? 3 * x + 1 : x / 2; return x; }\n"},
};

TEST(LinkWholeProgram, GivesTheSameModuleAsReadingEveryMemberInFull) {
  test::TempDir dir;
  auto members = compile_all(dir, kProgram);
  auto lazy = link_whole_program(members, 10'000);
  ASSERT_TRUE(lazy) << lazy.error().message;
  ASSERT_TRUE(lazy->program);
  EXPECT_EQ(lazy->linked, members.size());
  EXPECT_EQ(lazy->at_least, 0u);
  auto eager = eager_link(members);
  EXPECT_EQ(ir::module_hash(*lazy->program->module), ir::module_hash(*eager.module));
  EXPECT_EQ(lazy->program->module->getInstructionCount(), eager.module->getInstructionCount());
  EXPECT_EQ(lazy->program->module->getFunction("unused_in_deep"), nullptr);  // not needed, never moved
  EXPECT_NE(lazy->program->module->getFunction("deep"), nullptr);
  EXPECT_EQ(lazy->program->recipe, "ir");
  EXPECT_EQ(lazy->program->inputs.size(), members.size());
}

TEST(LinkWholeProgram, StopsOnceTheProgramIsSureToBeOverTheWindow) {
  test::TempDir dir;
  auto members = compile_all(dir, kProgram);
  auto complete = eager_link(members);
  uint64_t main_alone = test::load_or_die(members[0]).module->getInstructionCount();
  ASSERT_GT(main_alone, 2u);
  // The main TU alone is over: nothing else is read.
  auto stopped = link_whole_program(members, main_alone - 1);
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_FALSE(stopped->program);
  EXPECT_EQ(stopped->linked, 1u);
  EXPECT_EQ(stopped->at_least, main_alone);
  // Over only with the second member: stops there, and the bound is below the real count.
  auto later = link_whole_program(members, main_alone);
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_FALSE(later->program);
  EXPECT_EQ(later->linked, 2u);
  EXPECT_GT(later->at_least, main_alone);
  EXPECT_LE(later->at_least, complete.module->getInstructionCount());
  // Exactly at the complete count: within the window, so linked to the end.
  auto fits = link_whole_program(members, complete.module->getInstructionCount());
  ASSERT_TRUE(fits && fits->program);
}

TEST(LinkWholeProgram, AWeakDefinitionIsNotCountedAsFixed) {
  test::TempDir dir;
  std::string big_weak = "__attribute__((weak)) int work(int x) { int s = 0;";
  for (int i = 0; i < 40; ++i) big_weak += " s += x * " + std::to_string(i) + "; x ^= s;";
  big_weak += " return s; }\nint main(int c, char** v) { return work(c); }\n";
  auto members = compile_all(dir, {{"main", big_weak}, {"strong", "int work(int x) { return x; }\n"}});
  auto main_only = test::load_or_die(members[0]);
  uint64_t weak_size = main_only.module->getFunction("work")->getInstructionCount();
  ASSERT_GT(weak_size, 40u);
  // A linker may replace a weak definition by a strong one, so it is no part of the lower bound.
  EXPECT_EQ(fixed_instruction_count(*main_only.module), main_only.module->getInstructionCount() - weak_size);
  auto complete = eager_link(members);
  auto linked = link_whole_program(members, complete.module->getInstructionCount());
  ASSERT_TRUE(linked) << linked.error().message;
  ASSERT_TRUE(linked->program);
  EXPECT_EQ(ir::module_hash(*linked->program->module), ir::module_hash(*complete.module));
}

TEST(LinkWholeProgram, MissingAndUnreadableMembersAreErrorsNamingTheFile) {
  test::TempDir dir;
  auto members = compile_all(dir, kProgram);
  std::vector<fs::path> missing = {members[0], dir.path / "gone.bc"};
  auto gone = link_whole_program(missing, 10'000);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
  EXPECT_NE(gone.error().message.find("gone.bc"), std::string::npos);

  // Bitcode magic and garbage (read lazily), and text that is not IR (read in full).
  for (const char* bytes : {"BC\xC0\xDE garbage after the magic", "not IR at all"}) {
    auto bad = dir.file("bad.bc", bytes);
    std::vector<fs::path> garbled = {members[0], bad};
    auto unreadable = link_whole_program(garbled, 10'000);
    ASSERT_FALSE(unreadable) << bytes;
    EXPECT_NE(unreadable.error().message.find(bad.string()), std::string::npos) << unreadable.error().message;
    EXPECT_EQ(unreadable.error().message.find('\n'), std::string::npos) << unreadable.error().message;
  }
}

}  // namespace
}  // namespace cr1::data
