#include "search/local_search.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(LocalSearch, MutationIsOneEditWithinBounds) {
  std::mt19937_64 rng(3);
  const size_t n = 100, cap = 12;
  for (int i = 0; i < 2000; ++i) {
    Genome g = random_genome(rng, n, 1, cap);
    Genome m = mutate_once(g, rng, n, cap);
    EXPECT_NE(m, g);
    EXPECT_GE(m.size(), 1u);
    EXPECT_LE(m.size(), cap);
    EXPECT_LE(std::max(m.size(), g.size()) - std::min(m.size(), g.size()), 1u);
    for (int x : m) EXPECT_TRUE(x >= 0 && x < static_cast<int>(n));
  }
}

TEST(LocalSearch, RespectsBudgetClimbsAndNeverWorseThanOz) {
  auto s = session_for("wordfreq.c");
  LocalSearch local;
  auto r = tune(*s, local, {.max_evaluations = 60}, 4);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, 60u);
  EXPECT_LE(r->answer_count, r->oz_count);
  EXPECT_GE(r->over_oz, 0.0);
  EXPECT_LT(r->best_raw_count, s->base_count());
  // The first evaluation is the random start; the search improved on it.
  ASSERT_GE(r->trace.size(), 2u);
  EXPECT_LT(r->trace.back().best_count, r->trace.front().best_count);
  EXPECT_EQ(s->evaluate(r->best_raw).instruction_count, r->best_raw_count);
}

TEST(LocalSearch, SameSeedSameResult) {
  // Two fresh sessions with the same pool size: the batch of neighbours
  // follows the pool (batch_size()), so the path does too.
  auto s1 = session_for("matrix.c");
  auto s2 = session_for("matrix.c");
  LocalSearch a_t, b_t;
  auto a = tune(*s1, a_t, {.max_evaluations = 60}, 12);
  auto b = tune(*s2, b_t, {.max_evaluations = 60}, 12);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->best_raw.pipeline(), b->best_raw.pipeline());
  EXPECT_EQ(a->best_raw_count, b->best_raw_count);
  EXPECT_EQ(a->trace.size(), b->trace.size());
}

TEST(LocalSearch, RestartsAfterStagnation) {
  auto s = session_for("matrix.c");
  LocalSearch local({.patience = 1, .restart_best = 0.5});
  auto r = tune(*s, local, {.max_evaluations = 80}, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->evaluations, 80u);
  EXPECT_GT(local.starts(), 1u);
  EXPECT_NE(local.name().find("patience=1"), std::string::npos);
}

TEST(LocalSearch, Registered) {
  auto t = make_tuner("local");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->name().rfind("local;", 0), 0u);
}

}  // namespace
}  // namespace cr1::search
