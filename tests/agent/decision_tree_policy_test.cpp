// The scripted policies on a real program: the paper's tree, the multi-candidate variant and kNN,
// each driving the runner through real measurements.
#include "agent/decision_tree_policy.h"

#include <gtest/gtest.h>

#include "agent_test_support.h"

namespace cr1::agent {
namespace {

struct Tree : ::testing::Test {
  void SetUp() override {
    auto file = cr1::test::example("matrix.c");
    tools.add("matrix.bc", file);
    verifier = test::session_of(file);
    info = test::info_of(cr1::test::load_or_die(file), "matrix.bc");
    book = std::make_shared<SequenceBook>();
    book->add({info.uri, info.features, {"--sroa", "--instcombine", "--simplifycfg"}, 0.01, 0, "test"});
    // Two other programs, the nearer one first.
    auto near = info.features, far = info.features;
    near[0] += 1;
    far[0] += 50;
    far[51] *= 3;
    book->add({"test://near", near, {"--mem2reg", "--gvn", "--instcombine"}, 0.02, 0, "test"});
    book->add({"test://far", far, {"--early-cse", "--dce"}, 0.03, 0, "test"});
  }
  EpisodeRecord run(DecisionTreeOptions o) {
    DecisionTreePolicy p(book, o);
    return run_episode(info, p, tools.tools(), *verifier);
  }
  test::SessionTools tools;
  std::unique_ptr<env::Session> verifier;
  ProgramInfo info;
  std::shared_ptr<SequenceBook> book;
};

TEST_F(Tree, AcceptsTheProposalAboveTheThreshold) {
  auto r = run(paper_tree_options(-1000));
  EXPECT_EQ(r.end_reason, "answer");
  EXPECT_TRUE(r.format.exact);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.path, "A");
  EXPECT_EQ(r.answer, (std::vector<std::string>{"--sroa", "--instcombine", "--simplifycfg"}));
  // The think block states the measured numbers.
  std::string pct = fmt::format("{:+.2f}%", r.tool_calls[0].result["improvement_over_oz"].get<double>());
  EXPECT_NE(r.messages.back().content.find(pct), std::string::npos) << r.messages.back().content;
  EXPECT_NE(r.messages.back().content.find(std::to_string(r.oz_count)), std::string::npos);
  EXPECT_EQ(r.turns[0].note["kind"], "own");
}

TEST_F(Tree, FallsBackToFbpsThenToOzOrTheBestSeen) {
  auto r = run(paper_tree_options(1000));
  EXPECT_TRUE(r.format.exact);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "instrcount");
  EXPECT_EQ(r.tool_calls[1].name, "find_best_pass_sequence");
  std::string decision = r.turns.back().note["decision"];
  double best = std::max(r.tool_calls[0].result["improvement_over_oz"].get<double>(),
                         r.tool_calls[1].result["improvement_over_oz"].get<double>());
  if (best > 0) {
    EXPECT_EQ(decision, "best_seen");
    EXPECT_GT(r.over_oz, 0);
  } else {
    EXPECT_EQ(decision, "oz");
    EXPECT_EQ(r.path, "oz");
  }
}

TEST_F(Tree, MultiCandidateTriesDifferentCandidatesInformedByResults) {
  auto r = run(multi_candidate_options(3, 1000));
  ASSERT_EQ(r.tool_calls.size(), 4u);
  std::vector<std::vector<std::string>> flags;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.tool_calls[i].name, "instrcount");
    flags.push_back(r.tool_calls[i].arguments["optimization_flags"].get<std::vector<std::string>>());
  }
  EXPECT_EQ(flags[0], (std::vector<std::string>{"--sroa", "--instcombine", "--simplifycfg"}));  // own
  EXPECT_EQ(flags[1], (std::vector<std::string>{"--mem2reg", "--gvn", "--instcombine"}));      // nearest
  EXPECT_EQ(flags[2].front(), "-Oz");                                                          // the edit
  EXPECT_EQ(r.turns[1].note["kind"], "neighbour");
  EXPECT_EQ(r.turns[2].note["kind"], "edit");
  // The second turn cites the first result.
  std::string first = fmt::format("{:+.2f}%", r.tool_calls[0].result["improvement_over_oz"].get<double>());
  EXPECT_NE(r.messages[4].content.find(first), std::string::npos) << r.messages[4].content;
  EXPECT_EQ(r.tool_calls[3].name, "find_best_pass_sequence");
}

TEST_F(Tree, MultiCandidateStopsAtTheFirstAcceptedCandidate) {
  auto r = run(multi_candidate_options(3, -1000));
  EXPECT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.path, "A");
}

TEST_F(Tree, KnnProposesNeighboursNotItself) {
  auto r = run(knn_options(2, false, 1000));
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].arguments["optimization_flags"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"--mem2reg", "--gvn", "--instcombine"}));
  EXPECT_EQ(r.tool_calls[1].arguments["optimization_flags"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"--early-cse", "--dce"}));
  EXPECT_EQ(tools.calls("find_best_pass_sequence"), 0u);
  EXPECT_TRUE(r.answered);
}

TEST_F(Tree, NameSaysTheConfiguration) {
  DecisionTreePolicy p(book, knn_options(5, true, 0.5));
  EXPECT_EQ(p.name(), "knn;threshold=0.5,k=5,own=0,neighbours=5,edit=0,fbps=1");
}

}  // namespace
}  // namespace cr1::agent
