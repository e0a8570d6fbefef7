#include "search/greedy.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(Greedy, RespectsBudgetImprovesAndNeverWorseThanOz) {
  auto s = session_for(test::example("wordfreq.c"));
  GreedySearch greedy;
  // Less than one round (|space| = 100): a random part of the round is tried.
  auto r = tune(*s, greedy, {.max_evaluations = 40}, 5);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, 40u);
  ASSERT_EQ(greedy.rounds().size(), 1u);
  EXPECT_EQ(greedy.rounds()[0].evaluated, 40u);
  EXPECT_LE(r->answer_count, r->oz_count);
  EXPECT_GE(r->over_oz, 0.0);
  // One pass on unoptimized code already beats the empty sequence.
  EXPECT_LT(r->best_raw_count, s->base_count());
  EXPECT_EQ(r->best_raw.elements.size(), 1u);
  EXPECT_EQ(s->evaluate(r->best_raw).instruction_count, r->best_raw_count);
}

TEST(Greedy, SameSeedSameResult) {
  auto s1 = session_for(test::example("matrix.c"), 2);
  auto s2 = session_for(test::example("matrix.c"), 1);
  GreedySearch g1, g2;
  auto a = tune(*s1, g1, {.max_evaluations = 150}, 9);
  auto b = tune(*s2, g2, {.max_evaluations = 150}, 9);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->evaluations, 150u);
  EXPECT_EQ(a->best_raw.pipeline(), b->best_raw.pipeline());
  EXPECT_EQ(a->best_raw_count, b->best_raw_count);
  EXPECT_EQ(a->best_raw.elements.size(), 2u);  // round 1 appended a pass, round 2 was cut short
}

TEST(Greedy, StopsWhenNoSingleActionImproves) {
  // After one pass that promotes the locals to registers only `mul; ret`
  // is left, and no single further pass can shrink that.
  test::TempDir dir;
  auto file = dir.file("sq.c", "int sq(int x) { int y = x; int z = y * y; return z; }\n");
  auto s = session_for(file);
  GreedySearch greedy;
  const size_t budget = 2000;
  auto r = tune(*s, greedy, {.max_evaluations = budget}, 1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& rounds = greedy.rounds();
  ASSERT_GE(rounds.size(), 2u);
  EXPECT_LT(r->evaluations, budget);  // stopped on its own
  EXPECT_FALSE(rounds.back().accepted);
  size_t evaluated = 0;
  Genome path;
  uint64_t count = s->base_count();
  for (size_t i = 0; i < rounds.size(); ++i) {
    EXPECT_EQ(rounds[i].before, count);
    EXPECT_EQ(rounds[i].evaluated, ActionSpace::size_actions().size());  // full rounds, no repeats
    evaluated += rounds[i].evaluated;
    if (i + 1 < rounds.size()) {
      ASSERT_TRUE(rounds[i].accepted);
      ASSERT_TRUE(rounds[i].best_count);
      EXPECT_LT(*rounds[i].best_count, count);  // each appended pass strictly improved
      path.push_back(rounds[i].best_action);
      count = *rounds[i].best_count;
    } else if (rounds[i].best_count) {
      EXPECT_GE(*rounds[i].best_count, count);
    }
  }
  EXPECT_EQ(evaluated, r->evaluations);
  // The answer is exactly the greedy path, one pass per accepted round.
  EXPECT_EQ(r->best_raw.pipeline(), ActionSpace::size_actions().to_sequence(path).pipeline());
  EXPECT_EQ(r->best_raw_count, count);
  EXPECT_LE(r->answer_count, r->oz_count);
}

TEST(Greedy, Registered) {
  auto t = make_tuner("greedy");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->name().rfind("greedy", 0), 0u);
}

}  // namespace
}  // namespace cr1::search
