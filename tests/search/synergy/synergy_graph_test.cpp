#include "search/synergy/synergy_graph.h"

#include "search/action_space.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1::search::synergy {
namespace {

TEST(SynergyGraph, WeightsAddUpAndSortByWeight) {
  SynergyGraph g;
  g.add("--early-cse-memssa", "instcombine");
  g.add("early-cse-memssa", "-instcombine", 2);
  g.add("gvn", "instcombine");
  g.add("instcombine", "instcombine");
  EXPECT_EQ(g.pair_count(), 3u);
  EXPECT_EQ(g.weight("early-cse-memssa", "instcombine"), 3u);
  EXPECT_EQ(g.weight("instcombine", "gvn"), 0u);  // directed
  auto pairs = g.pairs();
  EXPECT_EQ(pairs.front().first, "early-cse-memssa");
  EXPECT_EQ(pairs.front().programs, 3u);
  EXPECT_EQ(g.passes(), (std::vector<std::string>{"early-cse-memssa", "gvn", "instcombine"}));
}

TEST(SynergyGraph, TsvRoundTrip) {
  test::TempDir dir;
  SynergyGraph g;
  g.add("sroa", "instcombine", 5);
  g.add("simplifycfg", "sroa", 1);
  g.notes = {"LLVM 19; 2 programs"};
  ASSERT_TRUE(g.save(dir.path / "g.tsv").ok());
  auto back = SynergyGraph::load(dir.path / "g.tsv");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->to_tsv(), g.to_tsv());
  EXPECT_EQ(back->notes, g.notes);
  EXPECT_EQ(back->weight("sroa", "instcombine"), 5u);
}

TEST(SynergyGraph, BadTsvNamesFileAndLine) {
  for (const char* text : {"a\tb\n", "a\tb\tx\n", "a\tb\t0\n", "a\tb\t1\textra\n", "\tb\t1\n"}) {
    auto g = SynergyGraph::parse(std::string("first\tsecond\tprograms\n") + text, "g.tsv");
    ASSERT_FALSE(g) << text;
    EXPECT_EQ(g.error().kind, ErrorKind::parse);
    EXPECT_NE(g.error().message.find("g.tsv:2"), std::string::npos) << g.error().message;
  }
  auto missing = SynergyGraph::load("/no/such/graph.tsv");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/no/such/graph.tsv"), std::string::npos);
}

TEST(SynergyGraph, ShippedGraphParsesAndUsesCatalogueFlags) {
  auto g = SynergyGraph::load(test::source_dir() / "data" / "synergy-llvm19.tsv");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_GT(g->pair_count(), 100u);
  const auto& space = ActionSpace::size_actions();
  for (const auto& p : g->passes()) EXPECT_GE(space.index_of(p), 0) << p;
}

}  // namespace
}  // namespace cr1::search::synergy
