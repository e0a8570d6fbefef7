#include "search/tpe.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(Tpe, SpendsTheBudgetBeatsBaseAndNeverLosesToOz) {
  Tpe tuner;
  expect_tuner_contract(tuner, "wordfreq.c", 80, 5);
}

TEST(Tpe, SameSeedSameBest) {
  Tpe a, b;
  expect_same_seed_same_best(a, b, "matrix.c", 40, 9);
}

TEST(Tpe, TinyBudgetAndRegistry) {
  auto s = session_for("matrix.c");
  Tpe tpe({.startup = 2});
  auto r = tune(*s, tpe, {.max_evaluations = 3}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->evaluations, 3u);
  auto made = make_tuner("tpe");
  ASSERT_TRUE(made.ok());
  EXPECT_EQ((*made)->name().rfind("tpe;", 0), 0u);
}

}  // namespace
}  // namespace cr1::search
