#include "search/tuner.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "search/rio.h"
#include "test_support.h"
#include "tuner_contract.h"

namespace cr1::search {
namespace {

TEST(ActionSpace, LeavesOutNonSizePasses) {
  const auto& space = ActionSpace::size_actions();
  EXPECT_EQ(space.size(), 100u);
  EXPECT_EQ(space.index_of("--instnamer"), -1);
  EXPECT_EQ(space.index_of("--strip"), -1);
  int gvn = space.index_of("--gvn");
  ASSERT_GE(gvn, 0);
  auto seq = space.to_sequence({gvn, gvn});
  EXPECT_EQ(seq.pipeline(), "function(gvn),function(gvn)");
  EXPECT_EQ(*space.from_sequence(seq), (Genome{gvn, gvn}));
  EXPECT_FALSE(space.from_sequence(*ir::parse_sequence("-Oz")));
}

TEST(ActionSpace, ExtendedAddsOzMacroAndNewPasses) {
  const auto& ext = ActionSpace::extended();
  EXPECT_GT(ext.size(), ActionSpace::size_actions().size());
  int oz = ext.index_of("Oz");
  int ce = ext.index_of("constraint-elimination");
  ASSERT_GE(oz, 0);
  ASSERT_GE(ce, 0);
  auto seq = ext.to_sequence({oz, ce, ext.index_of("gvn")});
  EXPECT_EQ(seq.flags(), "-Oz function(constraint-elimination) --gvn");
  // What is printed parses back to the same pipeline, and maps back to the genome.
  auto reparsed = ir::parse_sequence(seq.flag_list());
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().message;
  EXPECT_EQ(reparsed->pipeline(), seq.pipeline());
  EXPECT_EQ(*ext.from_sequence(*reparsed), (Genome{oz, ce, ext.index_of("gvn")}));
  for (size_t i = 0; i < ext.size(); ++i) EXPECT_TRUE(ir::check_pipeline(ext.action(static_cast<int>(i)).pipeline).ok());
  EXPECT_FALSE(ActionSpace::by_name("nope").ok());
}

TEST(SearchContext, CountsDistinctEvaluationsAndStopsAtBudget) {
  auto s = session_for("matrix.c");
  SearchContext ctx(*s, ActionSpace::size_actions(), {.max_evaluations = 3}, 1);
  const auto& sp = ctx.space();
  Genome a = {sp.index_of("sroa")}, b = {sp.index_of("gvn")}, c = {sp.index_of("dce")}, d = {sp.index_of("adce")};
  std::vector<Genome> batch = {a, a, b};
  auto r = ctx.evaluate(batch);
  EXPECT_EQ(ctx.evaluations(), 2u);
  EXPECT_TRUE(r[0] && r[1] && r[2]);
  EXPECT_EQ(*r[0], *r[1]);
  std::vector<Genome> more = {a, c, d};
  auto r2 = ctx.evaluate(more);
  EXPECT_TRUE(r2[0]);   // a repeat is free
  EXPECT_TRUE(r2[1]);   // the third distinct evaluation
  EXPECT_FALSE(r2[2]);  // past the budget
  EXPECT_TRUE(ctx.exhausted());
  EXPECT_EQ(ctx.evaluations(), 3u);
}

TEST(SearchContext, TimeBudget) {
  auto s = session_for("matrix.c");
  RandomSearch rio;
  auto t0 = std::chrono::steady_clock::now();
  auto r = tune(*s, rio, {.max_evaluations = 0, .max_seconds = 0.5}, 7);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->evaluations, 0u);
  EXPECT_LT(secs, 5.0);  // stops soon after the budget (one batch of slack)
}

TEST(Tune, RioNeverWorseThanOzAndReportsRaw) {
  auto s = session_for("wordfreq.c");
  RandomSearch rio;
  auto r = tune(*s, rio, {.max_evaluations = 40}, 3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, 40u);
  EXPECT_EQ(r->oz_count, *s->oz_count());
  EXPECT_LE(r->answer_count, r->oz_count);
  EXPECT_GE(r->over_oz, 0.0);
  if (r->fell_back_to_oz) {
    EXPECT_EQ(r->answer.pipeline(), "default<Oz>");
    EXPECT_LE(r->over_oz_raw, 0.0);
  } else {
    EXPECT_DOUBLE_EQ(r->over_oz, r->over_oz_raw);
  }
  // The raw best is a real evaluation of the session.
  EXPECT_EQ(s->evaluate(r->best_raw).instruction_count, r->best_raw_count);
  ASSERT_FALSE(r->trace.empty());
  for (size_t i = 1; i < r->trace.size(); ++i) EXPECT_LT(r->trace[i].best_count, r->trace[i - 1].best_count);
}

TEST(Tune, SameSeedSameResult) {
  auto s1 = session_for("matrix.c");
  auto s2 = session_for("matrix.c", 1);
  RandomSearch rio;
  auto a = tune(*s1, rio, {.max_evaluations = 30}, 11);
  auto b = tune(*s2, rio, {.max_evaluations = 30}, 11);
  EXPECT_EQ(a->best_raw.pipeline(), b->best_raw.pipeline());
  EXPECT_EQ(a->best_raw_count, b->best_raw_count);
}

TEST(Registry, KnowsRioAndRejectsUnknown) {
  EXPECT_TRUE(make_tuner("rio").ok());
  auto bad = make_tuner("magic");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("rio"), std::string::npos);
}

}  // namespace
}  // namespace cr1::search
