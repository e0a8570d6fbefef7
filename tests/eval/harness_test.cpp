// The harness end to end in-process, on two small bundled programs: records,
// verification, fresh budgets per run, and resuming after a kill.
#include "eval/harness.h"

#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "eval/record_log.h"
#include "test_support.h"

namespace cr1::eval {
namespace {

EvalOptions small_options() {
  EvalOptions o;
  o.methods = {"rio"};
  o.budget = {.max_evaluations = 8, .max_seconds = 0};
  o.seeds = {1, 2};
  o.jobs = 2;
  o.progress = false;
  return o;
}

std::vector<EvalProgram> numeric_programs() {
  auto p = collect_programs({test::source_dir() / "data" / "sample" / "numeric"});
  if (!p) throw std::runtime_error(p.error().message);
  return std::move(*p);
}

TEST(Harness, ValidatesOptions) {
  auto o = small_options();
  o.methods = {"rio", "nope"};
  auto st = validate(o);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("unknown method 'nope'"), std::string::npos);
  EXPECT_NE(st.error().message.find("rio"), std::string::npos);  // the known ones are listed
  o = small_options();
  o.budget = {.max_evaluations = 0, .max_seconds = 0};
  EXPECT_FALSE(validate(o).ok());
  o.budget = {.max_evaluations = 0, .max_seconds = -1};
  EXPECT_FALSE(validate(o).ok());
  o = small_options();
  o.seeds.clear();
  EXPECT_FALSE(validate(o).ok());
  EXPECT_TRUE(validate(small_options()).ok());
}

TEST(Harness, RecordsVerifiedRunsAndResumesAfterAKill) {
  test::TempDir dir;
  auto run = dir.path / "run";
  auto programs = numeric_programs();
  ASSERT_EQ(programs.size(), 2u);

  // "Killed" after the first record, and the second line torn mid-write.
  auto o = small_options();
  o.on_record = [](const RunRecord&) { return false; };
  auto first = run_evaluation(programs, o, run);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->done, 1u);
  std::string torn = R"({"program":"dir://numeric/primes.c","suite":"num)";
  std::ofstream(RecordLog::records_path(run), std::ios::app) << torn;

  auto second = run_evaluation(programs, small_options(), run);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->planned, 4u);
  EXPECT_EQ(second->skipped, 1u);
  EXPECT_EQ(second->done, 3u);
  EXPECT_EQ(second->torn_lines, 1u);
  EXPECT_TRUE(second->errors.empty());
  EXPECT_GT(second->cpu_seconds, 0);
  EXPECT_GT(second->cpu_utilisation, 0);

  auto log = RecordLog::read(run);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->records().size(), 4u);
  std::set<std::string> keys;
  for (const auto& r : log->records()) {
    keys.insert(r.key());
    EXPECT_EQ(r.suite, "numeric");
    EXPECT_EQ(r.method, "rio");
    EXPECT_EQ(r.config.rfind("rio", 0), 0u);
    EXPECT_GT(r.oz_count, 0u);
    // Each run had the whole budget: no cache carried over from the other seed.
    EXPECT_EQ(r.evaluations, 8u);
    EXPECT_TRUE(r.answer.verified_ok()) << r.answer.verified_status;
    EXPECT_EQ(r.answer.verified_count, r.answer.count);
    EXPECT_FALSE(r.mismatch);
    ASSERT_TRUE(r.best_raw);
    EXPECT_EQ(r.best_raw->verified_count, r.best_raw->count);
    EXPECT_GE(r.over_oz, 0);
    EXPECT_LE(r.answer.verified_count, r.oz_count);
    EXPECT_DOUBLE_EQ(r.over_oz_raw, over_oz_fraction(r.oz_count, r.best_raw->verified_count));
    EXPECT_FALSE(r.trace.empty());
    EXPECT_FALSE(r.answer.pipeline.empty());
    EXPECT_GE(r.wall_seconds, r.search_seconds);
  }
  EXPECT_EQ(keys.size(), 4u);

  // run.json has the latest invocation and the earlier one.
  auto info = nlohmann::json::parse(*read_file(run_info_path(run)));
  EXPECT_EQ(info["runs"]["done"], 3);
  EXPECT_EQ(info["history"].size(), 1u);
  EXPECT_EQ(info["history"][0]["runs"]["done"], 1);

  // Nothing left to do.
  auto third = run_evaluation(programs, small_options(), run);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->done, 0u);
  EXPECT_EQ(third->skipped, 4u);
}

TEST(Harness, ResolvesParallelRuns) {
  auto o = small_options();
  EXPECT_EQ(resolve_parallel_runs(o, 16, 100), 4);  // auto: 4 workers per run
  EXPECT_EQ(resolve_parallel_runs(o, 2, 100), 1);
  EXPECT_EQ(resolve_parallel_runs(o, 16, 3), 3);    // never more than the runs left
  o.budget.max_seconds = 5;                         // seconds of the whole machine
  EXPECT_EQ(resolve_parallel_runs(o, 16, 100), 1);
  o.parallel_runs = 8;                              // unless asked for
  EXPECT_EQ(resolve_parallel_runs(o, 16, 100), 8);
  EXPECT_EQ(resolve_parallel_runs(o, 4, 100), 4);   // never more than the workers
  o = small_options();
  o.custom_methods["agent:x"] = [](env::Session&, const EvalProgram&, uint64_t) -> Expected<search::TuneResult> {
    return make_error(ErrorKind::internal, "unused");
  };
  EXPECT_EQ(resolve_parallel_runs(o, 16, 100), 1);
  o = small_options();
  o.parallel_runs = -1;
  EXPECT_FALSE(validate(o).ok());
}

// Several runs in flight give the same answers as one at a time: each search plans its batches for all
// of -j, whatever its own pool has. `local` takes a path that depends on the batch size.
TEST(Harness, ParallelRunsGiveTheSameResultsAsOneAtATime) {
  test::TempDir dir;
  auto programs = numeric_programs();
  auto o = small_options();
  o.methods = {"rio", "local"};
  o.budget = {.max_evaluations = 12, .max_seconds = 0};
  o.jobs = 3;
  using Outcome = std::tuple<uint64_t, std::string, uint64_t, size_t, std::vector<uint64_t>>;
  auto outcomes = [](const std::filesystem::path& run) {
    std::map<std::string, Outcome> out;
    auto log = RecordLog::read(run);
    EXPECT_TRUE(log.ok());
    if (!log.ok()) return out;
    for (const auto& r : log->records()) {
      std::vector<uint64_t> trace;
      for (const auto& t : r.trace) trace.push_back(t.best_count);
      EXPECT_TRUE(out.emplace(r.key(), Outcome{r.answer.verified_count, r.answer.pipeline,
                                               r.best_raw ? r.best_raw->count : 0, r.evaluations, trace})
                      .second)
          << "written twice: " << r.key();
      EXPECT_FALSE(r.mismatch);
    }
    return out;
  };

  o.parallel_runs = 1;
  auto one = run_evaluation(programs, o, dir.path / "one");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->parallel_runs, 1);
  EXPECT_EQ(one->jobs_per_run, 3);

  o.parallel_runs = 3;
  auto three = run_evaluation(programs, o, dir.path / "three");
  ASSERT_TRUE(three.ok()) << three.error().message;
  EXPECT_EQ(three->parallel_runs, 3);
  EXPECT_EQ(three->jobs_per_run, 1);
  EXPECT_EQ(three->done, 8u);
  EXPECT_TRUE(three->errors.empty());
  EXPECT_GT(three->cpu_seconds, 0);
  EXPECT_GT(three->cpu_utilisation, 0);

  auto a = outcomes(dir.path / "one"), b = outcomes(dir.path / "three");
  EXPECT_EQ(a.size(), 8u);
  EXPECT_EQ(a, b);
  auto log = RecordLog::read(dir.path / "three");
  ASSERT_TRUE(log.ok());
  for (const auto& r : log->records()) {
    EXPECT_EQ(r.jobs, 1);  // the workers this run really had
    EXPECT_EQ(r.parallel_runs, 3);
  }
  auto info = nlohmann::json::parse(*read_file(run_info_path(dir.path / "three")));
  EXPECT_EQ(info["parallel_runs"], 3);
  EXPECT_EQ(info["jobs_per_run"], 1);
  EXPECT_EQ(info["jobs"], 3);
  EXPECT_GT(info["cpu_utilisation"].get<double>(), 0);
  EXPECT_EQ(info["runs"]["done"], 8);
}

// A stop while several runs are in flight keeps what was recorded before it, once each, and a
// rerun makes exactly the rest.
TEST(Harness, ParallelRunsResumeAfterAStop) {
  test::TempDir dir;
  auto programs = numeric_programs();
  auto o = small_options();
  o.parallel_runs = 2;
  o.on_record = [](const RunRecord&) { return false; };
  auto first = run_evaluation(programs, o, dir.path / "run");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->done, 1u);
  o.on_record = nullptr;
  auto second = run_evaluation(programs, o, dir.path / "run");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->skipped, 1u);
  EXPECT_EQ(second->done, 3u);
  auto log = RecordLog::read(dir.path / "run");
  ASSERT_TRUE(log.ok());
  std::set<std::string> keys;
  for (const auto& r : log->records()) keys.insert(r.key());
  EXPECT_EQ(log->records().size(), 4u);
  EXPECT_EQ(keys.size(), 4u);
}

TEST(Harness, ABrokenProgramIsAnErrorNotACrash) {
  test::TempDir dir;
  auto bad = dir.file("broken.ll", "define i32 @f( {\n");
  auto programs = collect_programs({dir.path});
  ASSERT_TRUE(programs.ok());
  auto s = run_evaluation(*programs, small_options(), dir.path / "run");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->done, 0u);
  ASSERT_EQ(s->errors.size(), 1u);
  EXPECT_NE(s->errors[0].message.find("broken.ll"), std::string::npos) << s->errors[0].message;
}

}  // namespace
}  // namespace cr1::eval
