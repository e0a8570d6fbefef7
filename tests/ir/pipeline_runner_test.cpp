#include "ir/pipeline_runner.h"

#include <gtest/gtest.h>
#include <llvm/IR/Module.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include "ir/action_catalog.h"
#include "test_support.h"

namespace cr1::ir {
namespace {

// The in-process count must equal opt's for the same pipeline text: the
// differential check of CompilerGym's opt-equivalence fuzz test.
TEST(PipelineRunner, CountsMatchOpt) {
  test::TempDir dir;
  for (const char* example : {"wordfreq.c", "matrix.c"}) {
    auto prog = test::load_or_die(test::example(example));
    auto bc = dir.path / (std::string(example) + ".bc");
    ASSERT_TRUE(write_module(*prog.module, bc).ok());
    for (const char* seq : {"-Oz", "-O3", "--sroa --gvn --instcombine --simplifycfg",
                            "--mem2reg --licm --loop-rotate --indvars --loop-deletion --early-cse-memssa",
                            "--inline --functionattrs --sccp --dse --adce --jump-threading --reassociate",
                            "--reg2mem --loop-unroll --newgvn --mergefunc --globalopt --globaldce"}) {
      auto parsed = parse_sequence(seq);
      ASSERT_TRUE(parsed.ok()) << seq;
      auto clone = llvm::CloneModule(*prog.module);
      ASSERT_TRUE(run_pipeline(*clone, parsed->pipeline()).ok());
      EXPECT_EQ(static_cast<long>(count_instructions(*clone)), test::opt_count(bc, parsed->pipeline()))
          << example << ": " << seq;
    }
  }
}

TEST(PipelineRunner, OzShrinksAndO0DoesNot) {
  auto prog = test::load_or_die(test::example("wordfreq.c"));
  uint64_t base = count_instructions(*prog.module);
  auto oz = llvm::CloneModule(*prog.module);
  ASSERT_TRUE(run_pipeline(*oz, baseline_pipeline(OptLevel::Oz)).ok());
  EXPECT_LT(count_instructions(*oz), base);
  auto o0 = llvm::CloneModule(*prog.module);
  ASSERT_TRUE(run_pipeline(*o0, baseline_pipeline(OptLevel::O0)).ok());
  EXPECT_EQ(count_instructions(*o0), base);
}

TEST(PipelineRunner, InvalidPipelineIsAnError) {
  auto prog = test::load_or_die(test::example("matrix.c"));
  auto st = run_pipeline(*prog.module, "function(no-such-pass)");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::invalid_pass);
  EXPECT_FALSE(check_pipeline("licm,gvn").ok());  // nesting fixed by the first pass
  EXPECT_TRUE(check_pipeline("function(gvn),globaldce").ok());
}

TEST(PipelineRunner, PassLevels) {
  EXPECT_EQ(pass_level("globaldce"), PassLevel::module);
  EXPECT_EQ(pass_level("inline"), PassLevel::cgscc);
  EXPECT_EQ(pass_level("gvn"), PassLevel::function);
  EXPECT_EQ(pass_level("licm"), PassLevel::loop);
  EXPECT_EQ(pass_level("no-such-pass"), PassLevel::unknown);
}

TEST(PipelineRunner, BaselineNames) {
  EXPECT_EQ(baseline_pipeline(OptLevel::Oz), "default<Oz>");
  EXPECT_STREQ(opt_level_name(OptLevel::O3), "O3");
  EXPECT_FALSE(llvm_version().empty());
}

}  // namespace
}  // namespace cr1::ir
