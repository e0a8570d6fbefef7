#include "search/ensemble.h"

#include <gtest/gtest.h>

#include <random>

#include "search/auc_bandit.h"
#include "search/registry.h"
#include "test_support.h"

namespace cr1::search {
namespace {

TEST(AucBandit, IncrementalAucMatchesDefinition) {
  AucBandit b(3, 0.05, 7);
  std::mt19937 rng(5);
  for (int i = 0; i < 200; ++i) {
    size_t arm = rng() % 3;
    b.record(arm, rng() % 3 == 0);
    for (size_t a = 0; a < 3; ++a) ASSERT_NEAR(b.auc(a), b.auc_slow(a), 1e-12) << "step " << i << " arm " << a;
  }
  EXPECT_LE(b.uses(0), 7u);
}

TEST(AucBandit, RecentSuccessesCountMore) {
  AucBandit early(1), late(1);
  for (bool s : {true, false, false, false}) early.record(0, s);
  for (bool s : {false, false, false, true}) late.record(0, s);
  EXPECT_LT(early.auc(0), late.auc(0));
  EXPECT_DOUBLE_EQ(late.auc(0), 4.0 / 10.0);
}

TEST(AucBandit, TriesEveryArmThenExploitsTheBest) {
  AucBandit b(3);
  std::vector<size_t> first;
  for (int i = 0; i < 3; ++i) {
    size_t arm = b.choose();
    first.push_back(arm);
    b.record(arm, arm == 2);
  }
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, (std::vector<size_t>{0, 1, 2}));
  for (int i = 0; i < 20; ++i) b.record(2, true);
  EXPECT_EQ(b.choose(), 2u);
}

TEST(Ensemble, BudgetDeterminismAndOzClamp) {
  auto make = [] {
    auto s = env::Session::create(test::load_or_die(test::example("wordfreq.c")), {.pool = {.jobs = 2}});
    return std::move(*s);
  };
  auto s1 = make(), s2 = make();
  Ensemble e;
  auto a = tune(*s1, e, {.max_evaluations = 60}, 4, ActionSpace::extended());
  auto b = tune(*s2, e, {.max_evaluations = 60}, 4, ActionSpace::extended());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->evaluations, 60u);
  EXPECT_EQ(a->best_raw.pipeline(), b->best_raw.pipeline());
  EXPECT_LE(a->answer_count, a->oz_count);
  EXPECT_LT(a->best_raw_count, s1->base_count());
  EXPECT_TRUE(make_tuner("opentuner").ok());
}

}  // namespace
}  // namespace cr1::search
