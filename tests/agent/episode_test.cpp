// The episode runner on real programs: protocol errors go back to the model or end the episode,
// limits end it, the answer is verified in a fresh worker and scored.
#include "agent/episode.h"

#include <gtest/gtest.h>

#include "agent_test_support.h"

namespace cr1::agent {
namespace {

// Replies with canned turns, one per call, in order; "{file}" is replaced by the filename.
class CannedPolicy final : public Policy {
 public:
  explicit CannedPolicy(std::vector<std::string> turns) : turns_(std::move(turns)) {}
  std::string name() const override { return "canned"; }
  Expected<PolicyReply> act(const EpisodeState& s) override {
    size_t i = s.steps.size();
    if (i >= turns_.size()) return make_error(ErrorKind::internal, "out of turns");
    std::string t = turns_[i];
    for (size_t p; (p = t.find("{file}")) != std::string::npos;) t.replace(p, 6, s.program.filename);
    seen_max_tokens.push_back(s.max_tokens);
    return PolicyReply{t, std::nullopt, "stop", nullptr};
  }
  std::vector<size_t> seen_max_tokens;

 private:
  std::vector<std::string> turns_;
};

const std::string kCall =
    "<think>measure</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"{file}\", "
    "\"optimization_flags\": [\"--sroa\", \"--instcombine\", \"--simplifycfg\"]}}\n</tool_call>";
const std::string kAnswer = "<think>good</think>\n<answer>[\"--sroa\", \"--instcombine\", \"--simplifycfg\"]</answer>";

struct Fixture : ::testing::Test {
  void SetUp() override {
    prog = cr1::test::example("matrix.c");
    tools.add("matrix.bc", prog);
    verifier = test::session_of(prog);
    info = test::info_of(cr1::test::load_or_die(prog), "matrix.bc");
  }
  std::filesystem::path prog;
  test::SessionTools tools;
  std::unique_ptr<env::Session> verifier;
  ProgramInfo info;
};

TEST_F(Fixture, RecoversFromAProtocolErrorAndScoresTheVerifiedAnswer) {
  CannedPolicy policy({"I will call instrcount now.", kCall, kAnswer});
  auto r = run_episode(info, policy, tools.tools(), *verifier);
  EXPECT_EQ(r.end_reason, "answer");
  ASSERT_EQ(r.turns.size(), 3u);
  EXPECT_FALSE(r.turns[0].well_formed);
  EXPECT_EQ(r.turns[0].error_kind, "missing_think");
  EXPECT_TRUE(r.turns[1].well_formed);
  // system, user, assistant, tool (error), assistant, tool, assistant
  ASSERT_EQ(r.messages.size(), 7u);
  EXPECT_EQ(r.messages[3].role, "tool");
  EXPECT_NE(r.messages[3].content.find("protocol error (missing_think)"), std::string::npos);
  EXPECT_NE(r.messages[1].content.find("Initial instruction count: " + std::to_string(info.instruction_count)), std::string::npos);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].result["status"], "success");
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(r.path, "A");
  // The verified count is the sequence's count, and OverOz is against the session's -Oz.
  auto seq = ir::parse_sequence(std::vector<std::string>{"--sroa", "--instcombine", "--simplifycfg"});
  EXPECT_EQ(r.verified_status, "ok");
  EXPECT_EQ(r.answer_count, verifier->evaluate(*seq).instruction_count);
  EXPECT_EQ(r.tool_calls[0].result["instruction_count"].get<uint64_t>(), r.answer_count);
  EXPECT_DOUBLE_EQ(r.over_oz, *verifier->over_oz(r.answer_count));
  EXPECT_FALSE(r.format.exact);
  EXPECT_DOUBLE_EQ(r.format.score, 1.0 * 2 / 3 + 0.5);
  EXPECT_DOUBLE_EQ(r.reward.total, r.format.score + 30 * r.over_oz);
  EXPECT_GT(r.prompt_tokens, 100u);
  EXPECT_GT(r.response_tokens, 0u);
  auto line = nlohmann::json::parse(record_line(r));
  EXPECT_EQ(line["messages"].size(), 7u);
  EXPECT_EQ(line["tools"].size(), 2u);
}

TEST_F(Fixture, ExactTrajectoryGetsFullFormat) {
  CannedPolicy policy({kCall, kAnswer});
  auto r = run_episode(info, policy, tools.tools(), *verifier);
  EXPECT_TRUE(r.format.exact);
  EXPECT_DOUBLE_EQ(r.format.score, 1.5);
}

TEST_F(Fixture, ProtocolErrorCanEndTheEpisode) {
  CannedPolicy policy({"<think>x</think><answer>[\"--no-such-pass\"]</answer>", kAnswer});
  EpisodeOptions o;
  o.on_protocol_error = OnProtocolError::end;
  auto r = run_episode(info, policy, tools.tools(), *verifier, o);
  EXPECT_EQ(r.end_reason, "protocol_error");
  EXPECT_EQ(r.turns[0].error_kind, "unknown_pass");
  EXPECT_TRUE(r.fell_back_to_oz);
  EXPECT_EQ(r.answer, std::vector<std::string>{"-Oz"});
  EXPECT_EQ(r.path, "none");
  EXPECT_EQ(r.over_oz, 0);
  EXPECT_EQ(r.format.score, 0);
}

TEST_F(Fixture, MaxTurnsEndsWithTheOzFallback) {
  CannedPolicy policy({kCall, kCall, kCall, kAnswer});
  EpisodeOptions o;
  o.limits.max_turns = 2;
  auto r = run_episode(info, policy, tools.tools(), *verifier, o);
  EXPECT_EQ(r.end_reason, "max_turns");
  EXPECT_EQ(r.turns.size(), 2u);
  EXPECT_EQ(r.verified_status, "none");
  EXPECT_EQ(r.answer_count, r.oz_count);
  EXPECT_DOUBLE_EQ(r.format.score, 1.0);  // well-formed turns, no answer
}

TEST_F(Fixture, ToolCallLimitIsAProtocolError) {
  CannedPolicy policy({kCall, kCall, kAnswer});
  EpisodeOptions o;
  o.limits.max_calls["instrcount"] = 1;
  auto r = run_episode(info, policy, tools.tools(), *verifier, o);
  EXPECT_EQ(r.end_reason, "answer");
  EXPECT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.turns[1].error_kind, "tool_limit");
  EXPECT_EQ(tools.calls("instrcount"), 1u);
}

TEST_F(Fixture, TokenLimitsPerTurnAndPerEpisode) {
  CannedPolicy policy({kCall, kAnswer});
  EpisodeOptions o;
  o.limits.max_tokens_per_turn = 5;
  o.on_protocol_error = OnProtocolError::end;
  auto r = run_episode(info, policy, tools.tools(), *verifier, o);
  EXPECT_EQ(r.turns[0].error_kind, "turn_too_long");
  EXPECT_EQ(policy.seen_max_tokens.at(0), 5u);

  CannedPolicy again({kCall, kCall, kAnswer});
  EpisodeOptions e;
  e.limits.max_tokens_per_episode = 60;  // the first call and its response use it up
  e.count_tokens = [](std::string_view s) { return s.size() / 4 + 1; };
  auto r2 = run_episode(info, again, tools.tools(), *verifier, e);
  EXPECT_EQ(r2.end_reason, "max_tokens");
  EXPECT_EQ(r2.turns.size(), 1u);
}

TEST_F(Fixture, OzAnswerScoresZeroAndPolicyErrorsEndTheEpisode) {
  CannedPolicy oz({"<think>keep</think><answer>[\"-Oz\"]</answer>"});
  auto r = run_episode(info, oz, tools.tools(), *verifier);
  EXPECT_EQ(r.path, "oz");
  EXPECT_EQ(r.verified_status, "oz");
  EXPECT_EQ(r.over_oz, 0);
  EXPECT_DOUBLE_EQ(r.reward.total, 1.5);

  CannedPolicy none({});
  auto e = run_episode(info, none, tools.tools(), *verifier);
  EXPECT_EQ(e.end_reason, "policy_error");
  EXPECT_NE(e.policy_error.find("out of turns"), std::string::npos);
  EXPECT_TRUE(e.fell_back_to_oz);
}

}  // namespace
}  // namespace cr1::agent
