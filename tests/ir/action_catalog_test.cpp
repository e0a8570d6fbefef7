#include "ir/action_catalog.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "test_support.h"

namespace cr1::ir {
namespace {

TEST(ActionCatalog, CoversAllCompilerGymFlags) {
  // Every one of CompilerGym's 124 flags is either an action or documented as removed.
  std::ifstream in(test::source_dir() / "../shared/reference/llvm10-action-space.txt");
  std::set<std::string> flags;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) flags.insert(line);
  if (flags.empty()) {
    // shared/ is beside the checkout in CI; fall back to the catalogue's own size.
    EXPECT_EQ(actions().size() + removed_flags().size(), 124u);
    return;
  }
  EXPECT_EQ(flags.size(), 124u);
  for (const auto& f : flags) EXPECT_TRUE(find_action(f) || find_removed(f)) << f;
  EXPECT_EQ(actions().size() + removed_flags().size(), 124u);
}

TEST(ActionCatalog, EveryEntryParsesInLinkedLLVM) {
  auto failures = validate_catalog();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(actions().size(), 117u);
  EXPECT_EQ(removed_flags().size(), 7u);
}

TEST(ActionCatalog, SafeFormsForKnownPitfalls) {
  EXPECT_EQ(find_action("--instcombine")->pipeline, "function(instcombine<no-verify-fixpoint>)");
  EXPECT_EQ(find_action("-licm")->pipeline, "function(loop-mssa(licm))");
  EXPECT_EQ(find_action("early-cse-memssa")->pipeline, "function(early-cse<memssa>)");
  EXPECT_EQ(find_action("functionattrs")->pipeline, "cgscc(function-attrs)");
}

TEST(ParseSequence, LegacyFlags) {
  auto seq = parse_sequence("--sroa --gvn -instcombine");
  ASSERT_TRUE(seq.ok()) << seq.error().message;
  EXPECT_EQ(seq->pipeline(), "function(sroa),function(gvn),function(instcombine<no-verify-fixpoint>)");
  EXPECT_EQ(seq->flags(), "--sroa --gvn --instcombine");
}

TEST(ParseSequence, BareNewPMNamesAreNested) {
  auto seq = parse_sequence("sroa,licm,globaldce,inline");
  ASSERT_TRUE(seq.ok()) << seq.error().message;
  EXPECT_EQ(seq->pipeline(), "function(sroa),function(loop-mssa(licm)),globaldce,cgscc(inline)");
}

TEST(ParseSequence, ParametrisedAndUncataloguedPasses) {
  auto seq = parse_sequence("simplifycfg<hoist-common-insts> constraint-elimination vector-combine");
  ASSERT_TRUE(seq.ok()) << seq.error().message;
  EXPECT_EQ(seq->pipeline(),
            "function(simplifycfg<hoist-common-insts>),function(constraint-elimination),function(vector-combine)");
  EXPECT_EQ(seq->elements[0].flag, "");
}

TEST(ParseSequence, FullPipelineTextIsKept) {
  auto seq = parse_sequence("function(sroa,early-cse<memssa>),globaldce");
  ASSERT_TRUE(seq.ok()) << seq.error().message;
  ASSERT_EQ(seq->size(), 2u);
  EXPECT_EQ(seq->pipeline(), "function(sroa,early-cse<memssa>),globaldce");
}

TEST(ParseSequence, OptLevels) {
  auto seq = parse_sequence("-Oz --sroa");
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->pipeline(), "default<Oz>,function(sroa)");
  EXPECT_EQ(seq->flags(), "-Oz --sroa");
}

TEST(ParseSequence, ListForm) {
  std::vector<std::string> items = {"--sroa", "gvn", "function(dce)"};
  auto seq = parse_sequence(items);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->pipeline(), "function(sroa),function(gvn),function(dce)");
}

TEST(ParseSequence, RemovedFlagNamesReplacement) {
  auto seq = parse_sequence("--loop-unswitch");
  ASSERT_FALSE(seq.ok());
  EXPECT_EQ(seq.error().kind, ErrorKind::invalid_pass);
  EXPECT_NE(seq.error().message.find("simple-loop-unswitch<nontrivial>"), std::string::npos);
}

TEST(ParseSequence, UnknownPassIsAnError) {
  for (const char* bad : {"--no-such-pass", "no-such-pass", "function(no-such-pass)", "function(sroa"}) {
    auto seq = parse_sequence(bad);
    ASSERT_FALSE(seq.ok()) << bad;
    EXPECT_EQ(seq.error().kind, ErrorKind::invalid_pass);
    EXPECT_EQ(seq.error().message.find('\n'), std::string::npos);
  }
}

TEST(ParseSequence, EmptyInputGivesEmptySequence) {
  auto seq = parse_sequence("  ");
  ASSERT_TRUE(seq.ok());
  EXPECT_TRUE(seq->empty());
}

}  // namespace
}  // namespace cr1::ir
