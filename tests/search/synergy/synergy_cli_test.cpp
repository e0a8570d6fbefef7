// `compiler-r1 synergy mine|stats` end to end on bundled programs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "search/synergy/synergy_graph.h"
#include "test_support.h"

namespace cr1::search::synergy {
namespace {

using nlohmann::json;

TEST(SynergyCli, MineThenStats) {
  test::TempDir dir;
  auto progs = dir.path / "progs";
  std::filesystem::create_directories(progs);
  std::filesystem::copy_file(test::source_dir() / "data/sample/sorting/shellsort.c", progs / "shellsort.c");
  auto out = dir.path / "g.tsv";
  auto r = run_subprocess({CR1_CLI_PATH, "synergy", "mine", "--corpus", progs.string(), "-j", "2", "--out",
                           out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["programs"], 1);
  EXPECT_EQ(j["mined_now"], 1);
  auto g = SynergyGraph::load(out);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(j["pairs"], g->pair_count());
  EXPECT_GT(g->pair_count(), 0u);

  // Rerun: everything comes from the log.
  auto again = run_subprocess({CR1_CLI_PATH, "synergy", "mine", "--corpus", progs.string(), "--out", out.string(), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["resumed"], 1);

  auto s = run_subprocess({CR1_CLI_PATH, "synergy", "stats", out.string(), "--json", "--top", "3"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  json st = json::parse(s.out);
  EXPECT_EQ(st["pairs"], g->pair_count());
  EXPECT_EQ(st["passes"], g->passes().size());
  ASSERT_EQ(st["top_pairs"].size(), std::min<size_t>(3, g->pair_count()));
  EXPECT_EQ(st["top_pairs"][0]["programs"], g->pairs()[0].programs);
  auto text = run_subprocess({CR1_CLI_PATH, "synergy", "stats", out.string()});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("pairs"), std::string::npos);
}

TEST(SynergyCli, BadInputIsExit2) {
  test::TempDir dir;
  auto missing = run_subprocess({CR1_CLI_PATH, "synergy", "mine", "--corpus", "/no/such", "--out", (dir.path / "g.tsv").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/no/such"), std::string::npos) << missing.err;
  auto bad_out = run_subprocess({CR1_CLI_PATH, "synergy", "mine", "--corpus", dir.path.string(), "--out", "/no/dir/g.tsv"});
  EXPECT_EQ(bad_out.exit_code, 2);
  auto bad_split = run_subprocess({CR1_CLI_PATH, "synergy", "mine", "--corpus", dir.path.string(), "--split", "dev",
                                   "--out", (dir.path / "g.tsv").string()});
  EXPECT_EQ(bad_split.exit_code, 2);
  EXPECT_NE(bad_split.err.find("dev"), std::string::npos);
  auto bad_graph = run_subprocess({CR1_CLI_PATH, "synergy", "stats", dir.file("x.tsv", "a\tb\n").string()});
  EXPECT_EQ(bad_graph.exit_code, 2);
  EXPECT_NE(bad_graph.err.find("x.tsv:1"), std::string::npos) << bad_graph.err;
}

}  // namespace
}  // namespace cr1::search::synergy
