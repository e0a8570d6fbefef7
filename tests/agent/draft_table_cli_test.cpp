// End-to-end: `compiler-r1 agent draft-table` builds the n-gram draft table of SFT trajectories with a
// model's tokenizer and writes a file the model policy loads; bad records are refused in one line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/ngram_drafter.h"
#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(120));
}

std::string trajectory(const std::string& answer) {
  nlohmann::json j;
  j["messages"] = {{{"role", "user"}, {"content", "Optimize it."}},
                   {{"role", "assistant"}, {"content", "<think>Nothing beats -Oz.</think>\n<answer>" + answer + "</answer>"}}};
  return j.dump() + "\n";
}

TEST(CliAgentDraftTable, WritesATableTheModelLayerLoads) {
  test::TempDir dir;
  const auto sft = dir.file("sft.jsonl", trajectory("[\"-Oz\"]") + trajectory("[\"-Oz\"]") + trajectory("[\"--sroa\"]"));
  const std::string tok = (test::source_dir() / "tests/fixtures/qwen2-tiny").string();
  const auto out = dir.path / "model" / "ngram_drafts.bin";
  std::filesystem::create_directories(out.parent_path());
  auto r = cli({"agent", "draft-table", "--sft", sft.string(), "--tokenizer", tok, "--out", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["trajectories"], 3);
  EXPECT_EQ(j["turns"], 3);
  EXPECT_GT(j["entries"].get<size_t>(), 0u);
  auto table = model::NgramDrafter::load(out);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(table->size(), j["entries"].get<size_t>());

  const auto bad = dir.file("bad.jsonl", trajectory("[]") + "not json\n");
  auto e = cli({"agent", "draft-table", "--sft", bad.string(), "--tokenizer", tok, "--out", (dir.path / "x.bin").string()});
  EXPECT_EQ(e.exit_code, 2) << e.err;
  EXPECT_EQ(std::count(e.err.begin(), e.err.end(), '\n'), 1) << e.err;
  EXPECT_NE(e.err.find("bad.jsonl:2"), std::string::npos) << e.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path / "x.bin"));
}

}  // namespace
}  // namespace cr1
