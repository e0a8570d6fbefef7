#include "search/comptuner.h"

#include <gtest/gtest.h>

#include "search/registry.h"
#include "test_support.h"

namespace cr1::search {
namespace {

std::unique_ptr<env::Session> session_for(const char* example) {
  auto s = env::Session::create(test::load_or_die(test::example(example)), {.pool = {.jobs = 2}});
  if (!s) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

TEST(CompTuner, SpendsTheBudgetBeatsBaseAndNeverLosesToOz) {
  auto s = session_for("wordfreq.c");
  CompTuner ct;
  auto r = tune(*s, ct, {.max_evaluations = 100}, 5);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, 100u);  // past phase 1 (30), into the swarm
  EXPECT_EQ(r->method, ct.name());
  EXPECT_LT(r->best_raw_count, s->base_count());
  EXPECT_LE(r->answer_count, r->oz_count);
  EXPECT_GE(r->over_oz, 0.0);
  // The reported best is what the sequence really gives.
  EXPECT_EQ(s->evaluate(r->best_raw).instruction_count, r->best_raw_count);
}

TEST(CompTuner, SameSeedSameBest) {
  auto s1 = session_for("matrix.c");
  auto s2 = session_for("matrix.c");
  CompTuner a, b;
  auto ra = tune(*s1, a, {.max_evaluations = 40}, 9);
  auto rb = tune(*s2, b, {.max_evaluations = 40}, 9);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->best_raw.pipeline(), rb->best_raw.pipeline());
  EXPECT_EQ(ra->best_raw_count, rb->best_raw_count);
  EXPECT_EQ(ra->trace.size(), rb->trace.size());
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
