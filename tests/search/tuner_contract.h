// What every tuner's tests share: a session on a bundled program, and the
// contract every tuner keeps (spends its budget, improves on the unoptimized
// program, never answers worse than -Oz, reports a best that re-evaluates to
// the same count, and is deterministic for a seed).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "search/tuner.h"
#include "test_support.h"

namespace cr1::search {

inline std::unique_ptr<env::Session> session_for(const std::filesystem::path& file, int jobs = 2) {
  auto s = env::Session::create(test::load_or_die(file), {.pool = {.jobs = jobs}});
  if (!s) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

inline std::unique_ptr<env::Session> session_for(const char* example, int jobs = 2) {
  return session_for(test::example(example), jobs);
}

inline void expect_tuner_contract(Tuner& tuner, const char* example, size_t budget, uint64_t seed) {
  auto s = session_for(example);
  auto r = tune(*s, tuner, {.max_evaluations = budget}, seed);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, budget);
  EXPECT_EQ(r->method, tuner.name());
  EXPECT_LT(r->best_raw_count, s->base_count());
  EXPECT_LE(r->answer_count, r->oz_count);
  EXPECT_GE(r->over_oz, 0.0);
  // The reported best is what the sequence really gives.
  EXPECT_EQ(s->evaluate(r->best_raw).instruction_count, r->best_raw_count);
}

inline void expect_same_seed_same_best(Tuner& a, Tuner& b, const char* example, size_t budget, uint64_t seed) {
  auto s1 = session_for(example);
  auto s2 = session_for(example);
  auto ra = tune(*s1, a, {.max_evaluations = budget}, seed);
  auto rb = tune(*s2, b, {.max_evaluations = budget}, seed);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->best_raw.pipeline(), rb->best_raw.pipeline());
  EXPECT_EQ(ra->best_raw_count, rb->best_raw_count);
  EXPECT_EQ(ra->trace.size(), rb->trace.size());
}

}  // namespace cr1::search
