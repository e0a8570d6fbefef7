#include "eval/record_log.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "eval/record_test_support.h"
#include "test_support.h"

namespace cr1::eval {
namespace {

TEST(RunRecord, JsonRoundTrip) {
  auto r = test::fake_run("dir://s/a.c", "s", "rio", 3, 100, 90, 2.5);
  r.mismatch = true;
  r.best_raw->verified_status = "crashed";
  r.failures = 4;
  nlohmann::json j = r;
  EXPECT_EQ(j["method"]["name"], "rio");
  EXPECT_EQ(j["budget"]["evaluations"], 20);
  EXPECT_EQ(j["answer"]["flags"][1], "--gvn");
  EXPECT_FALSE(j["best_raw"].contains("verified_count"));  // only when it verified
  auto back = j.get<RunRecord>();
  EXPECT_EQ(back.key(), r.key());
  EXPECT_EQ(back.config, "rio;x=1");
  EXPECT_EQ(back.answer.pipeline, r.answer.pipeline);
  EXPECT_EQ(back.answer.verified_count, 90u);
  EXPECT_FALSE(back.best_raw->verified_ok());
  EXPECT_TRUE(back.mismatch);
  EXPECT_EQ(back.failures, 4u);
  ASSERT_EQ(back.trace.size(), 2u);
  EXPECT_EQ(back.trace[1].best_count, 90u);
  EXPECT_DOUBLE_EQ(back.over_oz, 0.1);

  auto none = r;
  none.best_raw.reset();
  EXPECT_FALSE(nlohmann::json(none).get<RunRecord>().best_raw);
}

TEST(RunRecord, KeyHasProgramMethodSeedAndBudget) {
  auto a = test::fake_run("p", "s", "rio", 1, 100, 90);
  auto b = a;
  b.budget.max_evaluations = 50;
  EXPECT_NE(a.key(), b.key());
  b = a;
  b.seed = 2;
  EXPECT_NE(a.key(), b.key());
  b = a;
  b.over_oz = 0.5;  // results are not part of the identity
  EXPECT_EQ(a.key(), b.key());
  EXPECT_EQ(budget_label({.max_evaluations = 50, .max_seconds = 0}), "50 evals");
  EXPECT_EQ(budget_label({.max_evaluations = 50, .max_seconds = 2.5}), "50 evals / 2.5 s");
  EXPECT_EQ(budget_label({.max_evaluations = 0, .max_seconds = 10}), "10 s");
}

TEST(RecordLog, AppendsAndResumesPastATornLine) {
  test::TempDir dir;
  auto run = dir.path / "run";
  {
    auto log = RecordLog::open(run);
    ASSERT_TRUE(log.ok()) << log.error().message;
    EXPECT_TRUE(log->records().empty());
    ASSERT_TRUE(log->append(test::fake_run("p1", "s", "rio", 1, 100, 90)).ok());
    ASSERT_TRUE(log->append(test::fake_run("p1", "s", "rio", 2, 100, 95)).ok());
  }
  // A writer killed mid-line.
  std::string third = nlohmann::json(test::fake_run("p1", "s", "rio", 3, 100, 80)).dump();
  std::ofstream(RecordLog::records_path(run), std::ios::app) << third.substr(0, third.size() / 2);

  auto log = RecordLog::open(run);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->records().size(), 2u);
  EXPECT_EQ(log->torn_lines(), 1u);
  EXPECT_TRUE(log->contains(run_key("p1", "rio", 2, {.max_evaluations = 20, .max_seconds = 0})));
  EXPECT_FALSE(log->contains(run_key("p1", "rio", 3, {.max_evaluations = 20, .max_seconds = 0})));
  // The redone run lands on a line of its own, not glued to the torn one.
  ASSERT_TRUE(log->append(test::fake_run("p1", "s", "rio", 3, 100, 80)).ok());
  auto again = RecordLog::open(run);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records().size(), 3u);
  EXPECT_EQ(again->torn_lines(), 1u);
  EXPECT_EQ(again->records().back().seed, 3u);
}

TEST(RecordLog, ReadNeedsARun) {
  test::TempDir dir;
  auto r = RecordLog::read(dir.path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("records.jsonl"), std::string::npos);
  r = RecordLog::read(dir.path / "missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace cr1::eval
