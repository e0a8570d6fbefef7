#include "eval/coreset_miner.h"

#include <gtest/gtest.h>

#include <fstream>

#include "env/session.h"
#include "eval/record_log.h"
#include "record_test_support.h"
#include "test_support.h"

namespace cr1::eval {
namespace {

std::vector<ir::PassSequence> candidates() {
  std::vector<ir::PassSequence> out;
  for (const char* s : {"--sroa --instcombine --simplifycfg --gvn --dce", "--mem2reg --early-cse --simplifycfg",
                        "--inline --sroa --instcombine --simplifycfg --globaldce", "--loop-rotate --licm --sroa"})
    out.push_back(*ir::parse_sequence(s));
  return out;
}

TEST(CoresetMiner, CandidatesAreDistinctVerifiedBests) {
  test::TempDir dir;
  auto log = RecordLog::open(dir.path / "run");
  ASSERT_TRUE(log.ok());
  auto a = test::fake_run("p1", "s", "ga", 1, 100, 90);
  auto b = test::fake_run("p2", "s", "ga", 1, 100, 95);  // same sequence as a: counted once
  auto c = test::fake_run("p3", "s", "ga", 1, 100, 80);
  c.best_raw->pipeline = "function(mem2reg),function(gvn<>)";
  auto d = test::fake_run("p4", "s", "ga", 1, 100, 70);
  d.best_raw->pipeline = "function(sroa<modify-cfg>)";
  d.best_raw->verified_status = "crashed";  // not verified: not a candidate
  auto e = test::fake_run("p5", "s", "ga", 1, 100, 110);  // loses to -Oz on its own program
  e.best_raw->pipeline = "function(instcombine<no-verify-fixpoint>)";
  for (const auto& r : {a, b, c, d, e}) ASSERT_TRUE(log->append(r).ok());
  std::vector<std::filesystem::path> runs = {dir.path / "run"};
  auto cands = coreset_candidates(runs);
  ASSERT_TRUE(cands.ok()) << cands.error().message;
  ASSERT_EQ(cands->size(), 2u);
  EXPECT_EQ((*cands)[0].pipeline(), "function(sroa<modify-cfg>),function(gvn<>)");
  EXPECT_EQ((*cands)[1].pipeline(), "function(mem2reg),function(gvn<>)");
  std::vector<std::filesystem::path> none = {dir.path / "nothing-here"};
  EXPECT_FALSE(coreset_candidates(none).ok());
}

TEST(CoresetMiner, MinesSelectsWritesAndResumes) {
  test::TempDir dir;
  auto programs = collect_programs({test::source_dir() / "data" / "sample"});
  ASSERT_TRUE(programs.ok()) << programs.error().message;
  auto cands = candidates();
  auto out = dir.path / "coreset.txt";
  auto r = mine_coreset(cands, *programs, {.k = 3, .jobs = 2, .progress = false}, out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->programs, programs->size());
  EXPECT_EQ(r->candidates, cands.size());
  EXPECT_GT(r->evaluations, 0u);
  ASSERT_FALSE(r->coreset.empty());
  EXPECT_LE(r->coreset.size(), 3u);
  // The file holds the selection, in order.
  auto back = search::read_coreset(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), r->coreset.size());
  for (size_t i = 0; i < back->size(); ++i) EXPECT_EQ((*back)[i].pipeline(), r->coreset[i].pipeline());

  // The reported mean gain of the first pick is what the sequence really gives on the programs.
  double sum = 0;
  for (const auto& p : *programs) {
    auto s = env::Session::create(*p.load(), {.pool = {.jobs = 1}});
    ASSERT_TRUE(s.ok());
    uint64_t oz = *(*s)->oz_count();
    uint64_t c = (*s)->evaluate(r->coreset[0]).instruction_count;
    sum += c < oz ? static_cast<double>(oz - c) / static_cast<double>(oz) : 0.0;
  }
  EXPECT_NEAR(r->selection.mean_gain[0], sum / static_cast<double>(programs->size()), 1e-12);
  EXPECT_GE(r->oracle_mean_gain, r->selection.mean_gain.back());

  // A rerun reads the matrix rows instead of evaluating again, and picks the same.
  auto again = mine_coreset(cands, *programs, {.k = 3, .jobs = 2, .progress = false}, out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->evaluations, 0u);
  EXPECT_EQ(again->selection.chosen, r->selection.chosen);

  // One more candidate costs one evaluation per program, not a new matrix.
  cands.push_back(*ir::parse_sequence("--simplifycfg --sroa --gvn --instcombine --adce"));
  auto more = mine_coreset(cands, *programs, {.k = 3, .jobs = 2, .progress = false}, out);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->evaluations, programs->size());
  EXPECT_EQ(more->candidates, cands.size());
}

}  // namespace
}  // namespace cr1::eval
