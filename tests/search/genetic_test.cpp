#include "search/genetic.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(Genetic, CrossoverJoinsAPrefixAndASuffix) {
  std::mt19937_64 rng(5);
  const Genome a = {1, 2, 3, 4, 5, 6}, b = {10, 11, 12, 13, 14, 15, 16, 17};
  for (int i = 0; i < 500; ++i) {
    Genome c = one_point_crossover(a, b, rng, 10);
    ASSERT_GE(c.size(), 1u);
    ASSERT_LE(c.size(), 10u);
    size_t k = 0;  // the part from a: a prefix of a
    while (k < c.size() && c[k] < 10) ++k;
    EXPECT_TRUE(std::equal(c.begin(), c.begin() + static_cast<long>(k), a.begin()));
    // The rest: a run of b's consecutive elements (cut at the cap).
    for (size_t m = k + 1; m < c.size(); ++m) EXPECT_EQ(c[m], c[m - 1] + 1);
  }
}

TEST(Genetic, MutationKeepsLengthBounds) {
  std::mt19937_64 rng(6);
  Genome g = random_genome(rng, 100, 10, 30);
  EXPECT_EQ(mutate_genes(g, 0.0, rng, 100, 40), g);
  for (int i = 0; i < 500; ++i) {
    Genome m = mutate_genes(random_genome(rng, 100, 1, 40), 1.0, rng, 100, 40);
    EXPECT_GE(m.size(), 1u);
    EXPECT_LE(m.size(), 40u);
  }
}

TEST(Genetic, RespectsBudgetAndNeverWorseThanOz) {
  auto s = session_for("wordfreq.c");
  GeneticSearch ga;
  auto r = tune(*s, ga, {.max_evaluations = 60}, 3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, 60u);
  EXPECT_EQ(ga.generations(), 2u);  // 40 random, then 20 of the first offspring
  EXPECT_LE(r->answer_count, r->oz_count);
  EXPECT_GE(r->over_oz, 0.0);
  EXPECT_LT(r->best_raw_count, s->base_count());
  EXPECT_EQ(s->evaluate(r->best_raw).instruction_count, r->best_raw_count);
}

TEST(Genetic, SameSeedSameResult) {
  auto s1 = session_for("matrix.c", 2);
  auto s2 = session_for("matrix.c", 1);  // the population, not the pool, sets the batches
  GeneticSearch a_t, b_t;
  auto a = tune(*s1, a_t, {.max_evaluations = 90}, 21);
  auto b = tune(*s2, b_t, {.max_evaluations = 90}, 21);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->best_raw.pipeline(), b->best_raw.pipeline());
  EXPECT_EQ(a->best_raw_count, b->best_raw_count);
}

TEST(Genetic, EvolutionBeatsTheInitialPopulation) {
  auto s = session_for("wordfreq.c");
  GeneticSearch ga;
  auto r = tune(*s, ga, {.max_evaluations = 200}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->evaluations, 200u);
  // Best of the 40 random genomes of generation 0.
  std::optional<uint64_t> initial;
  for (const auto& p : r->trace)
    if (p.evaluations <= 40) initial = p.best_count;
  ASSERT_TRUE(initial);
  EXPECT_LT(r->best_raw_count, *initial);
}

TEST(Genetic, Registered) {
  auto t = make_tuner("ga");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->name().rfind("ga;pop=40,tour=3,mut=0.1", 0), 0u);
}

}  // namespace
}  // namespace cr1::search
