// End-to-end tests of `compiler-r1 agent run|eval|make-sft|stats` on the bundled sample programs,
// with the real Toolbox.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(600));
}

std::vector<nlohmann::json> read_lines(const std::filesystem::path& p) {
  std::vector<nlohmann::json> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(CliAgent, MakeSftRunAndEvalOnTheSampleCorpus) {
  test::TempDir dir;
  auto corpus = (dir.path / "corpus").string();
  auto b = cli({"dataset", "build", "--from", (test::source_dir() / "data/sample").string(), "--out", corpus, "-j", "2"});
  ASSERT_EQ(b.exit_code, 0) << b.err;

  // make-sft: every program gets a trajectory; the proposals come from a tuner and land in the book.
  auto out = (dir.path / "sft.jsonl").string();
  std::vector<std::string> sft = {"agent", "make-sft", "--corpus", corpus, "--out", out, "--split", "all",
                                  "--tuner-evals", "20", "--fbps-evals", "30", "-j", "1", "--parallel", "2", "--json"};
  auto r = cli(sft);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stats = nlohmann::json::parse(r.out);
  EXPECT_EQ(stats["episodes"], 6);
  EXPECT_EQ(stats["tuned_now"], 6);
  size_t sum = 0;
  for (const auto& [path, n] : stats["paths"].items()) sum += n.get<size_t>();
  EXPECT_EQ(sum, 6u);
  auto lines = read_lines(out);
  ASSERT_EQ(lines.size(), 6u);
  for (const auto& l : lines) {
    EXPECT_EQ(l["messages"][0]["role"], "system");
    EXPECT_EQ(l["messages"][1]["role"], "user");
    EXPECT_EQ(l["messages"][2]["role"], "assistant");
    EXPECT_TRUE(l["format"]["exact"]) << l.dump();
    EXPECT_EQ(l["end_reason"], "answer");
    EXPECT_GE(l["over_oz"].get<double>(), 0.0);  // the tree never answers worse than -Oz
    EXPECT_EQ(l["turns"][0]["note"]["kind"], "own");
  }
  EXPECT_EQ(read_lines(out + ".book.jsonl").size(), 6u);
  EXPECT_TRUE(std::filesystem::exists(out + ".stats.json"));
  // Resumed: nothing new to do.
  auto again = cli(sft);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto st2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(st2["episodes_now"], 0);
  EXPECT_EQ(st2["episodes_skipped"], 6);
  EXPECT_EQ(st2["tuned_now"], 0);
  EXPECT_EQ(read_lines(out).size(), 6u);

  // agent stats reads the same file.
  auto s = cli({"agent", "stats", out, "--json"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(nlohmann::json::parse(s.out)["episodes"], 6);

  // agent run shows the conversation and the verified result.
  auto run = cli({"agent", "run", test::example("matrix.c").string(), "--fbps-evals", "30", "-j", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* part : {"── system ──", "── user ──", "Initial instruction count:", "<think>", "<tool_call>",
                           "<answer>", "verified", "reward"})
    EXPECT_NE(run.out.find(part), std::string::npos) << part << "\n" << run.out;

  // agent eval: knn over the book lands in the harness's records.
  auto run_dir = (dir.path / "run").string();
  auto ev = cli({"agent", "eval", "--suite", corpus, "--policy", "knn", "-k", "2", "--book", out + ".book.jsonl",
                 "--limit", "2", "--out", run_dir, "-j", "1", "--json"});
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  auto records = read_lines(std::filesystem::path(run_dir) / "records.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["method"]["name"], "agent:knn");
  EXPECT_EQ(records[0]["answer"]["verified_status"], "ok");
  EXPECT_EQ(read_lines(std::filesystem::path(run_dir) / "episodes.jsonl").size(), 2u);
  auto report = cli({"report", run_dir});
  EXPECT_EQ(report.exit_code, 0) << report.err;
}

TEST(CliAgent, BadInput) {
  test::TempDir dir;
  auto r = cli({"agent", "run", test::example("matrix.c").string(), "--policy", "magic"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown policy 'magic'"), std::string::npos) << r.err;
  r = cli({"agent", "run", test::example("matrix.c").string(), "--policy", "openai"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--base-url"), std::string::npos) << r.err;
  r = cli({"agent", "run", test::example("matrix.c").string(), "--policy", "knn"});
  EXPECT_EQ(r.exit_code, 2);
  r = cli({"agent", "make-sft", "--corpus", "/nonexistent", "--out", (dir.path / "o.jsonl").string()});
  EXPECT_EQ(r.exit_code, 2);
  r = cli({"agent", "make-sft", "--corpus", dir.path.string(), "--out", "/nonexistent/dir/o.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  r = cli({"agent", "run", test::example("matrix.c").string(), "--on-protocol-error", "sometimes"});
  EXPECT_EQ(r.exit_code, 2);
  // An endpoint that is down fails the run (exit 1), naming it.
  r = cli({"agent", "run", test::example("matrix.c").string(), "--policy", "openai", "--base-url",
           "http://127.0.0.1:1/v1", "--model", "m"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
}

// A corpus whose programs the tools would refuse (here: a symlink out of the corpus folder) is refused up
// front, instead of producing trajectories made of tool errors and -Oz answers.
TEST(CliAgent, MakeSftRefusesProgramsTheToolsCannotOpen) {
  test::TempDir dir;
  auto real = (dir.path / "real").string();
  auto b = cli({"dataset", "build", "--from", (test::source_dir() / "data/sample").string(), "--out", real, "-j", "2"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto view = dir.path / "view";
  std::filesystem::create_directories(view);
  std::filesystem::copy_file(dir.path / "real" / "manifest.jsonl", view / "manifest.jsonl");
  std::filesystem::create_directory_symlink(dir.path / "real" / "programs", view / "programs");
  auto out = dir.path / "sft.jsonl";
  auto r = cli({"agent", "make-sft", "--corpus", view.string(), "--out", out.string(), "--split", "all",
                "--tuner-evals", "5", "-j", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("the tools cannot open"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("outside the program root"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace cr1
