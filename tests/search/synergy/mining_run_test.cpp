// Corpus mining: program selection (manifests with splits, folders, seeded
// samples), resume after a stop or a torn log line, and the aggregated graph.
#include "search/synergy/mining_run.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace cr1::search::synergy {
namespace {

namespace fs = std::filesystem;

fs::path examples_folder(const test::TempDir& dir) {
  auto d = dir.path / "progs";
  fs::create_directories(d);
  fs::copy_file(test::example("matrix.c"), d / "matrix.c");
  fs::copy_file(test::source_dir() / "data/sample/sorting/shellsort.c", d / "shellsort.c");
  return d;
}

// One cache for the tests: every program is evaluated once, however often mined.
std::shared_ptr<env::ResultCache> shared_cache() {
  static auto c = std::make_shared<env::ResultCache>();
  return c;
}

size_t lines_of(const fs::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

TEST(MiningRun, CollectsManifestSplitsAndSamples) {
  test::TempDir dir;
  auto corpus = dir.path / "corpus";
  fs::create_directories(corpus / "programs");
  std::ofstream m(corpus / "manifest.jsonl");
  for (int i = 0; i < 10; ++i)
    m << nlohmann::json{{"uri", "t://" + std::to_string(i)}, {"status", i == 9 ? "failed" : "ok"},
                        {"split", i % 3 == 0 ? "test" : "train"}, {"path", "programs/" + std::to_string(i) + ".bc"}}
             .dump()
      << "\n";
  m.close();
  auto train = collect_mining_programs({corpus}, data::Split::train, 0, 0);
  ASSERT_TRUE(train) << train.error().message;
  EXPECT_EQ(train->size(), 6u);  // 1 2 4 5 7 8
  for (auto& p : *train) EXPECT_EQ(p.path.parent_path(), corpus / "programs");
  auto all = collect_mining_programs({corpus / "manifest.jsonl"}, std::nullopt, 0, 0);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 9u);
  auto s1 = collect_mining_programs({corpus}, data::Split::train, 3, 5);
  auto s2 = collect_mining_programs({corpus}, data::Split::train, 4, 5);
  ASSERT_TRUE(s1 && s2);
  ASSERT_EQ(s1->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*s1)[i].uri, (*s2)[i].uri);  // a larger limit extends the sample
  auto none = collect_mining_programs({corpus}, data::Split::valid, 0, 0);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("split 'valid'"), std::string::npos);
  EXPECT_FALSE(collect_mining_programs({dir.path / "missing"}, std::nullopt, 0, 0));
}

TEST(MiningRun, ResumesAfterAStopAndATornLine) {
  test::TempDir dir;
  auto progs = collect_mining_programs({examples_folder(dir)}, std::nullopt, 0, 0);
  ASSERT_TRUE(progs);
  ASSERT_EQ(progs->size(), 2u);
  MiningOptions o;
  o.out = dir.path / "graph.tsv";
  o.session.pool.jobs = 2;
  o.session.cache = shared_cache();
  o.on_program = [](size_t done, size_t, const std::string&) { return done < 1; };  // "killed" after one
  auto first = mine_corpus(*progs, o);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->stopped);
  EXPECT_EQ(first->mined, 1u);
  EXPECT_FALSE(fs::exists(o.out));
  auto log = default_log_path(o.out);
  EXPECT_EQ(lines_of(log), 1u);
  std::ofstream(log, std::ios::app) << R"({"uri":"dir://progs/shells)";  // torn by a kill

  o.on_program = {};
  auto second = mine_corpus(*progs, o);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->resumed, 1u);
  EXPECT_EQ(second->mined, 1u);
  EXPECT_EQ(lines_of(log), 2u);
  ASSERT_TRUE(fs::exists(o.out));

  // The graph is the union of the per-program findings.
  auto g = SynergyGraph::load(o.out);
  ASSERT_TRUE(g) << g.error().message;
  SynergyGraph want;
  for (auto& p : *progs) {
    auto s = env::Session::create(test::load_or_die(p.path), {.pool = {.jobs = 2}, .cache = shared_cache()});
    ASSERT_TRUE(s);
    for (auto& [a, b] : mine_program(**s).pairs) want.add(a, b);
  }
  EXPECT_EQ(g->pairs().size(), want.pairs().size());
  for (auto& p : want.pairs()) EXPECT_EQ(g->weight(p.first, p.second), p.programs) << p.first << "->" << p.second;

  // A third run mines nothing new.
  auto third = mine_corpus(*progs, o);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->mined, 0u);
  EXPECT_EQ(third->resumed, 2u);
}

TEST(MiningRun, AProgramThatFailsToLoadIsLoggedNotFatal) {
  test::TempDir dir;
  auto d = examples_folder(dir);
  std::ofstream(d / "broken.ll") << "not IR\n";
  auto progs = collect_mining_programs({d}, std::nullopt, 0, 0);
  ASSERT_TRUE(progs);
  MiningOptions o;
  o.out = dir.path / "graph.tsv";
  o.session.pool.jobs = 2;
  o.session.cache = shared_cache();
  auto sum = mine_corpus(*progs, o);
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->failed, 1u);
  EXPECT_GT(sum->graph.pair_count(), 0u);
}

}  // namespace
}  // namespace cr1::search::synergy
