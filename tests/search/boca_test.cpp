#include "search/boca.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(Boca, SpendsTheBudgetBeatsBaseAndNeverLosesToOz) {
  Boca tuner;
  expect_tuner_contract(tuner, "wordfreq.c", 80, 5);
}

TEST(Boca, SameSeedSameBest) {
  Boca a, b;
  expect_same_seed_same_best(a, b, "matrix.c", 40, 9);
}

TEST(Boca, SparsePartDecaysLikeAGaussian) {
  Boca boca({.sparse0 = 8, .offset = 20, .scale = 10, .decay = 0.5});
  EXPECT_EQ(boca.sparse_count(0), 8u);
  EXPECT_EQ(boca.sparse_count(20), 8u);
  EXPECT_EQ(boca.sparse_count(30), 4u);  // halved `scale` evaluations past the offset
  EXPECT_EQ(boca.sparse_count(200), 1u);  // never below one
}

TEST(Boca, TinyBudgetAndRegistry) {
  auto s = session_for("matrix.c");
  Boca boca({.initial = 2});
  auto r = tune(*s, boca, {.max_evaluations = 3}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->evaluations, 3u);
  auto made = make_tuner("boca");
  ASSERT_TRUE(made.ok());
  EXPECT_EQ((*made)->name().rfind("boca;", 0), 0u);
}

}  // namespace
}  // namespace cr1::search
