#include "search/coreset.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "search/registry.h"
#include "search/tuner_contract.h"

namespace cr1::search {
namespace {

using Row = std::vector<std::optional<uint64_t>>;

TEST(CoresetSelect, GreedyCoverOrderAndStop) {
  // Three programs with -Oz 100 each. Candidate 0 is good on p0 only (20%), 1 is decent on p0 and p1
  // (10% each), 2 is good on p1 and p2 (15% each), 3 never beats -Oz, 4 fails everywhere.
  std::vector<uint64_t> oz = {100, 100, 100};
  std::vector<Row> counts = {{80, 100, 120}, {90, 90, 101}, {100, 85, 85}, {100, 100, 100}, {{}, {}, {}}};
  auto sel = select_coreset(counts, oz, 10);
  // First the largest total (2: 30%, vs 0: 20%, 1: 20%), then 0 (adds 20% on p0; 1 would add 10%), then
  // nothing adds anything (1's gains are covered), so it stops at 2 picks.
  ASSERT_EQ(sel.chosen, (std::vector<size_t>{2, 0}));
  ASSERT_EQ(sel.mean_gain.size(), 2u);
  EXPECT_NEAR(sel.mean_gain[0], 0.10, 1e-12);
  EXPECT_NEAR(sel.mean_gain[1], (0.20 + 0.15 + 0.15) / 3, 1e-12);
  EXPECT_EQ(sel.programs_won, (std::vector<size_t>{2, 3}));
  // K caps the picks.
  EXPECT_EQ(select_coreset(counts, oz, 1).chosen, (std::vector<size_t>{2}));
  // Nothing beats -Oz: empty selection.
  EXPECT_TRUE(select_coreset({{100, 100, 100}}, oz, 5).chosen.empty());
}

TEST(CoresetFile, RoundTripAndLocatedErrors) {
  test::TempDir dir;
  auto a = ir::parse_sequence("--sroa --instcombine --simplifycfg");
  auto b = ir::parse_sequence("--mem2reg --gvn");
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<ir::PassSequence> seqs = {*a, *b};
  std::vector<std::string> header = {"made by a test"};
  ASSERT_TRUE(write_coreset(dir.path / "c.txt", seqs, header).ok());
  auto back = read_coreset(dir.path / "c.txt");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].pipeline(), a->pipeline());
  EXPECT_EQ((*back)[1].pipeline(), b->pipeline());

  auto bad = dir.file("bad.txt", "# comment\n--sroa\n\n--no-such-pass\n");
  auto r = read_coreset(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("bad.txt:4:"), std::string::npos) << r.error().message;
  EXPECT_FALSE(read_coreset(dir.file("empty.txt", "# nothing\n")).ok());
  EXPECT_FALSE(read_coreset(dir.path / "missing.txt").ok());
}

std::vector<ir::PassSequence> sample_coreset() {
  std::vector<ir::PassSequence> out;
  for (const char* s : {"--sroa --instcombine --simplifycfg --gvn --dce", "--mem2reg --early-cse --simplifycfg",
                        "--sroa --gvn --instcombine --globaldce --simplifycfg --adce", "--inline --sroa --instcombine"})
    out.push_back(*ir::parse_sequence(s));
  return out;
}

TEST(CoresetTuner, EvaluatesTheListInOrderWithinBudget) {
  auto s = session_for("matrix.c");
  CoresetTuner tuner(sample_coreset());
  auto r = tune(*s, tuner, {.max_evaluations = 100}, 1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->evaluations, 4u);  // the list ends before the budget
  // The best is the best of the four, by direct evaluation.
  uint64_t best = UINT64_MAX;
  for (const auto& q : sample_coreset()) best = std::min(best, s->evaluate(q).instruction_count);
  EXPECT_EQ(r->best_raw_count, best);
  EXPECT_LE(r->answer_count, r->oz_count);

  auto s2 = session_for("matrix.c");
  auto two = tune(*s2, tuner, {.max_evaluations = 2}, 1);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->evaluations, 2u);
}

TEST(CoresetTuner, ThenLocalSpendsTheRestAndNeverLosesTheCoresetBest) {
  auto s = session_for("matrix.c");
  CoresetTuner plain(sample_coreset());
  auto p = tune(*s, plain, {.max_evaluations = 100}, 1);
  CoresetTuner tuner(sample_coreset(), true);
  expect_tuner_contract(tuner, "matrix.c", 60, 3);
  auto s2 = session_for("matrix.c");
  auto r = tune(*s2, tuner, {.max_evaluations = 60}, 3);
  ASSERT_TRUE(p.ok() && r.ok());
  EXPECT_LE(r->best_raw_count, p->best_raw_count);
}

TEST(CoresetTuner, RegisteredMethodReadsTheDataDirOrSaysWhy) {
  test::TempDir dir;
  ASSERT_TRUE(write_coreset(dir.path / "coreset-llvm19.txt", sample_coreset()).ok());
  // The shipped file is read once per process; point at a folder before the first use.
  ::setenv("CR1_DATA_DIR", dir.path.c_str(), 1);
  auto t = make_tuner("coreset");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ((*t)->name(), "coreset;k=4");
  auto tl = make_tuner("coreset-local");
  ASSERT_TRUE(tl.ok());
  EXPECT_EQ((*tl)->name(), "coreset;k=4,then=local");
  ::unsetenv("CR1_DATA_DIR");
}

}  // namespace
}  // namespace cr1::search
