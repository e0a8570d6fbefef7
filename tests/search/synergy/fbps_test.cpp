#include "search/synergy/fbps.h"

#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"

namespace cr1::search::synergy {
namespace {

std::shared_ptr<const SynergyGraph> small_graph() {
  auto g = std::make_shared<SynergyGraph>();
  const char* chain[] = {"sroa", "early-cse-memssa", "instcombine", "simplifycfg", "gvn", "instcombine", "dce",
                         "sroa", "mem2reg", "instcombine", "adce", "simplifycfg", "sroa"};
  for (size_t i = 0; i + 1 < std::size(chain); ++i) g->add(chain[i], chain[i + 1]);
  g->add("instcombine", "licm");  // successors of licm: none (dead end)
  return g;
}

std::unique_ptr<env::Session> matrix_session() {
  auto s = env::Session::create(test::load_or_die(test::example("matrix.c")), {.pool = {.jobs = 2}});
  if (!s) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

TEST(WalkGraph, WalksFollowEdgesOrJumpFromDeadEnds) {
  auto g = small_graph();
  const auto& space = ActionSpace::size_actions();
  WalkGraph w(*g, space);
  EXPECT_EQ(w.node_count(), g->passes().size());
  std::mt19937_64 rng(7);
  int licm = space.index_of("licm");
  for (int k = 0; k < 50; ++k) {
    Genome walk = w.walk(rng, 25);
    ASSERT_EQ(walk.size(), 25u);
    for (size_t i = 0; i + 1 < walk.size(); ++i) {
      if (walk[i] == licm) continue;  // a dead end: the walk jumps anywhere
      std::string a(space.action(walk[i]).flag), b(space.action(walk[i + 1]).flag);
      EXPECT_GT(g->weight(a, b), 0u) << a << " -> " << b;
    }
  }
}

TEST(Fbps, CrossoverCutsAtASharedPass) {
  std::mt19937_64 rng(1);
  Genome a = {1, 2, 3, 4, 5}, b = {9, 8, 3, 7};
  for (int k = 0; k < 20; ++k) {
    Genome c = shared_pass_crossover(a, b, rng, 40);
    EXPECT_EQ(c, (Genome{1, 2, 3, 7}));
  }
  EXPECT_EQ(shared_pass_crossover(a, {10, 11}, rng, 40), a);  // nothing shared: a copy
  EXPECT_EQ(shared_pass_crossover({1, 2, 3}, {3, 4, 5, 6}, rng, 2).size(), 2u);
}

TEST(Fbps, SameSeedSameResultAndTheBestIsReal) {
  auto session = matrix_session();
  auto graph = small_graph();
  FbpsOptions o;
  o.population = 20;
  o.generations = 3;
  FbpsSearch a(graph, o), b(graph, o);
  auto ra = tune(*session, a, {.max_evaluations = 0}, 42);
  auto rb = tune(*session, b, {.max_evaluations = 0}, 42);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->best_raw.pipeline(), rb->best_raw.pipeline());
  EXPECT_EQ(ra->best_raw_count, rb->best_raw_count);
  EXPECT_EQ(ra->evaluations, rb->evaluations);
  EXPECT_EQ(a.generations(), 4u);  // initial + 3
  // Elitism: 20 + 3 generations of 18 children, at most.
  EXPECT_LE(ra->evaluations, 20u + 3 * 18u);
  // The reported best is what the sequence really gives, in a fresh worker.
  auto v = session->verify(ra->best_raw);
  ASSERT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.instruction_count, ra->best_raw_count);
  // And it is the best of the improvement trace.
  ASSERT_FALSE(ra->trace.empty());
  EXPECT_EQ(ra->trace.back().best_count, ra->best_raw_count);
  // Every pass of the answer is a pass of the graph.
  std::set<std::string> passes;
  for (auto& p : graph->passes()) passes.insert("--" + p);
  for (auto& f : ra->best_raw.flag_list()) EXPECT_TRUE(passes.count(f)) << f;
}

TEST(Fbps, SpendsTheBudgetItIsGivenAndNoMore) {
  auto session = matrix_session();
  FbpsOptions o;
  o.generations = 0;  // until the budget is spent
  FbpsSearch f(small_graph(), o);
  auto r = tune(*session, f, {.max_evaluations = 150}, 3);
  ASSERT_TRUE(r);
  EXPECT_LE(r->evaluations, 150u);
  EXPECT_GE(r->evaluations, 100u);  // a small graph still has many distinct walks
  EXPECT_LE(r->answer_count, r->oz_count);  // clamped at -Oz as every tuner
}

TEST(Fbps, RegisteredMethodUsesTheConfiguredGraph) {
  test::TempDir dir;
  ASSERT_TRUE(small_graph()->save(dir.path / "g.tsv").ok());
  ::setenv("CR1_SYNERGY_GRAPH", (dir.path / "g.tsv").c_str(), 1);
  auto t = make_tuner("fbps");
  ::unsetenv("CR1_SYNERGY_GRAPH");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_NE((*t)->name().find("pairs=" + std::to_string(small_graph()->pair_count())), std::string::npos)
      << (*t)->name();
  auto session = matrix_session();
  auto r = tune(*session, **t, {.max_evaluations = 40}, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->evaluations, 40u);
}

}  // namespace
}  // namespace cr1::search::synergy
