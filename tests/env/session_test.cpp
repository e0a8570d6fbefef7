#include "env/session.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1::env {
namespace {

std::unique_ptr<Session> open_example(const char* name, SessionOptions options = {}) {
  auto s = Session::create(test::load_or_die(test::example(name)), std::move(options));
  if (!s) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

TEST(Session, BaselinesAndOverOz) {
  auto s = open_example("wordfreq.c", {.pool = {.jobs = 2}});
  auto oz = s->oz_count();
  ASSERT_TRUE(oz.ok());
  EXPECT_LT(*oz, s->base_count());
  EXPECT_EQ(s->baseline(ir::OptLevel::O0).instruction_count, s->base_count());
  EXPECT_DOUBLE_EQ(*s->over_oz(*oz), 0.0);
  EXPECT_NEAR(*s->over_oz(*oz / 2), 0.5, 0.01);
  EXPECT_LT(*s->over_oz(*oz + 10), 0.0);
}

TEST(Session, CachesAndDeduplicates) {
  auto s = open_example("matrix.c", {.pool = {.jobs = 1}});
  auto seq = *ir::parse_sequence("--sroa --gvn");
  std::vector<ir::PassSequence> batch = {seq, seq, seq};
  auto first = s->evaluate(batch);
  EXPECT_EQ(s->pool().stats().evaluations, 1u);  // one distinct pipeline
  EXPECT_EQ(first[0].instruction_count, first[2].instruction_count);
  auto again = s->evaluate(seq);
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(again.instruction_count, first[0].instruction_count);
  EXPECT_EQ(s->pool().stats().evaluations, 1u);
}

TEST(Session, PersistentCacheIsSharedAcrossSessions) {
  test::TempDir dir;
  auto db = (dir.path / "c.db").string();
  auto seq = *ir::parse_sequence("--mem2reg --instcombine");
  uint64_t n = 0;
  {
    auto s = open_example("matrix.c", {.cache = std::shared_ptr<ResultCache>(std::move(*ResultCache::open(db)))});
    n = s->evaluate(seq).instruction_count;
  }
  auto s = open_example("matrix.c", {.cache = std::shared_ptr<ResultCache>(std::move(*ResultCache::open(db)))});
  auto r = s->evaluate(seq);
  EXPECT_TRUE(r.from_cache);
  EXPECT_EQ(r.instruction_count, n);
  EXPECT_EQ(s->pool().stats().evaluations, 0u);
}

TEST(Session, ApplyWritesVerifiedModule) {
  test::TempDir dir;
  auto s = open_example("wordfreq.c");
  auto out = dir.path / "opt.bc";
  auto r = s->apply_and_write(*ir::parse_sequence("-Oz"), out);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.instruction_count, *s->oz_count());
  auto back = test::load_or_die(out);
  EXPECT_EQ(back.module->getInstructionCount(), r.instruction_count);
}

TEST(Session, CrashingSequenceIsAResult) {
  auto s = open_example("matrix.c", {.pool = {.jobs = 1}});
  auto seq = *ir::parse_sequence("function(loop(licm))");
  auto r = s->evaluate(seq);
  EXPECT_EQ(r.status, EvalStatus::crashed);
  // Cached as a crash: deterministic for (module, pipeline).
  EXPECT_TRUE(s->evaluate(seq).from_cache);
  EXPECT_TRUE(s->evaluate(*ir::parse_sequence("--sroa")).ok());
}

TEST(Session, OzCountRunsOzAlone) {
  auto s = open_example("matrix.c", {.pool = {.jobs = 1}});
  ASSERT_TRUE(s->oz_count().ok());
  EXPECT_EQ(s->pool().stats().evaluations, 1u);
  // The other levels come later, in one batch, and -Oz is not run again.
  EXPECT_EQ(s->baseline(ir::OptLevel::O0).instruction_count, s->base_count());
  EXPECT_EQ(s->pool().stats().evaluations, std::size(ir::kAllOptLevels));
}

TEST(Session, VerifyWithOzRunsBothInOneFreshWorker) {
  auto s = open_example("wordfreq.c", {.pool = {.jobs = 1}});
  auto seq = *ir::parse_sequence("--sroa --gvn --simplifycfg");
  auto v = s->verify_with_oz(seq);
  ASSERT_TRUE(v.oz.ok()) << v.oz.message;
  ASSERT_TRUE(v.answer.ok()) << v.answer.message;
  // Nothing went through the session's pool or cache.
  EXPECT_EQ(s->pool().stats().evaluations, 0u);
  EXPECT_FALSE(s->cache().get(s->module_hash(), seq.pipeline()).has_value());
  // Same counts as the session's own evaluations.
  EXPECT_EQ(v.oz.instruction_count, *s->oz_count());
  EXPECT_EQ(v.answer.instruction_count, s->evaluate(seq).instruction_count);
}

TEST(Session, VerifyWithOzContainsACrashingAnswer) {
  auto s = open_example("matrix.c", {.pool = {.jobs = 1}});
  auto v = s->verify_with_oz(*ir::parse_sequence("function(loop(licm))"));
  EXPECT_TRUE(v.oz.ok()) << v.oz.message;  // -Oz ran first, in the same worker, before it died
  EXPECT_EQ(v.answer.status, EvalStatus::crashed);
  EXPECT_FALSE(v.answer.message.empty());
}

TEST(Session, VerifyWithOzContainsAHangingAnswer) {
  test::TempDir dir;
  auto s = Session::create(test::load_or_die(dir.file("big.c", test::big_c_program(150))),
                           {.pool = {.jobs = 1, .timeout = std::chrono::milliseconds(2000)}});
  ASSERT_TRUE(s.ok());
  std::string slow;
  for (int i = 0; i < 400; ++i) slow += (slow.empty() ? "" : " ") + std::string("-O3");
  auto seq = ir::parse_sequence(slow);
  ASSERT_TRUE(seq.ok()) << seq.error().message;
  auto v = (*s)->verify_with_oz(*seq);
  EXPECT_TRUE(v.oz.ok()) << v.oz.message;
  EXPECT_EQ(v.answer.status, EvalStatus::timeout);
}

}  // namespace
}  // namespace cr1::env
