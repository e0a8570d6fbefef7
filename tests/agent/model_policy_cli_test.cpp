// End-to-end: `compiler-r1 agent run --policy model` with the tiny random Qwen2 fixture on a bundled
// program, through the real Toolbox; and the errors of a bad model folder.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/model_policy.h"
#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(600));
}

std::string tiny_model() { return (test::source_dir() / "tests/fixtures/qwen2-tiny").string(); }

std::vector<std::string> run_args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"agent", "run", test::example("wordfreq.c").string(), "--policy", "model", "--model",
                                tiny_model(), "--max-context", "8192", "--max-turns", "2", "--max-tokens-per-turn",
                                "32", "--threads", "1", "-j", "1", "--fbps-evals", "20"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(CliAgentModel, RunsAnEpisodeAndPrintsTheConversation) {
  if (!agent::ModelPolicy::available()) GTEST_SKIP() << "built without libtorch";
  auto r = cli(run_args({}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"── system ──", "── user ──", "── assistant ──", "Initial instruction count:",
                           "policy     model;qwen2-tiny,temperature=0.7,top_p=0.8,top_k=20,repetition_penalty=1.05,seed=1",
                           "ended      ", "(exact)", "verified"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;

  // The record: exact counts, at most 32 tokens a turn, and the same episode again with the same seed.
  auto j1 = cli(run_args({"--json", "--seed", "3"}));
  auto j2 = cli(run_args({"--json", "--seed", "3"}));
  ASSERT_EQ(j1.exit_code, 0) << j1.err;
  ASSERT_EQ(j2.exit_code, 0) << j2.err;
  auto a = nlohmann::json::parse(j1.out), b = nlohmann::json::parse(j2.out);
  EXPECT_TRUE(a["tokens"]["exact"].get<bool>());
  EXPECT_GT(a["tokens"]["prompt"].get<size_t>(), 256u);
  for (const auto& t : a["turns"]) EXPECT_LE(t["tokens"].get<size_t>(), 32u);
  EXPECT_EQ(a["messages"], b["messages"]);
  EXPECT_NE(a["end_reason"], "policy_error") << a.value("policy_error", "");
}

TEST(CliAgentModel, ExactCountsForOtherPoliciesWithATokenizer) {
  auto r = cli({"agent", "run", test::example("matrix.c").string(), "--tokenizer", tiny_model() + "/tokenizer.json",
                "--fbps-evals", "20", "-j", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["tokens"]["exact"].get<bool>());
  auto est = cli({"agent", "run", test::example("matrix.c").string(), "--fbps-evals", "20", "-j", "1", "--json"});
  ASSERT_EQ(est.exit_code, 0) << est.err;
  auto e = nlohmann::json::parse(est.out);
  EXPECT_FALSE(e["tokens"]["exact"].get<bool>());
  EXPECT_NE(j["tokens"]["prompt"], e["tokens"]["prompt"]);  // the tiny vocabulary needs more tokens than the estimate
}

TEST(CliAgentModel, BadModelFolderIsAOneLineUsageError) {
  if (!agent::ModelPolicy::available()) GTEST_SKIP() << "built without libtorch";
  test::TempDir dir;
  auto r = cli({"agent", "run", test::example("matrix.c").string(), "--policy", "model", "--model",
                (dir.path / "nope").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope: no such directory"), std::string::npos) << r.err;
  auto no_model = cli({"agent", "run", test::example("matrix.c").string(), "--policy", "model"});
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_NE(no_model.err.find("needs --model DIR"), std::string::npos) << no_model.err;
  auto bad_tok = cli({"agent", "run", test::example("matrix.c").string(), "--tokenizer", (dir.path / "t.json").string()});
  EXPECT_EQ(bad_tok.exit_code, 2);
  EXPECT_NE(bad_tok.err.find("t.json"), std::string::npos) << bad_tok.err;
}

}  // namespace
}  // namespace cr1
