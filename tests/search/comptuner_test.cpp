#include "search/comptuner.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(CompTuner, SpendsTheBudgetBeatsBaseAndNeverLosesToOz) {
  CompTuner tuner;
  expect_tuner_contract(tuner, "wordfreq.c", 100, 5);
}

TEST(CompTuner, SameSeedSameBest) {
  CompTuner a, b;
  expect_same_seed_same_best(a, b, "matrix.c", 40, 9);
}

TEST(CompTuner, TinyBudgetAndRegistry) {
  auto s = session_for("matrix.c");
  CompTuner ct({.random_init = 2});
  auto r = tune(*s, ct, {.max_evaluations = 3}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->evaluations, 3u);
  auto made = make_tuner("comptuner");
  ASSERT_TRUE(made.ok());
  EXPECT_EQ((*made)->name().rfind("comptuner;", 0), 0u);
}

}  // namespace
}  // namespace cr1::search
