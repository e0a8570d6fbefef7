// The model policy decodes with prompt-lookup speculative decoding by default
// (ModelPolicyOptions::lookup_draft_tokens): real episodes with the tiny random Qwen2 fixture give the
// same turns as one forward per token (greedy and seeded sampling), and a forced turn that repeats its
// context (the pass list of a tool call, the file name) needs fewer forwards than tokens.
#include <gtest/gtest.h>

#include "agent/model_policy.h"
#include "agent/prompt.h"
#include "model_policy_test_support.h"

namespace cr1::agent {
namespace {

ModelPolicyOptions options(int64_t lookup, bool greedy) {
  ModelPolicyOptions o = test::tiny_model_options(5);
  o.lookup_draft_tokens = lookup;
  if (greedy) o.sampling.greedy = true;
  return o;
}

struct ModelPolicySpeculativeTest : test::MatrixEpisodeTest {
  EpisodeRecord run(Policy& policy) { return run_matrix_episode(policy, test::short_episodes(40)); }
  void expect_same_episodes(bool greedy) {
    EXPECT_GT(ModelPolicyOptions{}.lookup_draft_tokens, 0);  // on by default
    auto plain = ModelPolicy::open(options(0, greedy));
    auto spec = ModelPolicy::open(options(8, greedy));
    ASSERT_TRUE(plain && spec) << (plain ? spec.error().message : plain.error().message);
    for (int episode = 0; episode < 2; ++episode) {
      auto a = run(**plain), b = run(**spec);
      ASSERT_EQ(a.messages.size(), b.messages.size()) << episode;
      for (size_t i = 0; i < a.messages.size(); ++i) EXPECT_EQ(a.messages[i].content, b.messages[i].content) << i;
      EXPECT_EQ(a.end_reason, b.end_reason);
    }
    auto ps = (*plain)->stats(), ss = (*spec)->stats();
    EXPECT_EQ(ps.generated_tokens, ss.generated_tokens);
    // One forward per token but each turn's last without drafts; with them, accepted drafts need none.
    EXPECT_EQ(ps.decode_forwards, ps.generated_tokens - ps.turns);
    EXPECT_EQ(ps.drafted_tokens, 0u);
    EXPECT_EQ(ss.decode_forwards + ss.accepted_tokens, ss.generated_tokens - ss.turns);
    EXPECT_LE(ss.accepted_tokens, ss.drafted_tokens);
  }
};

TEST_F(ModelPolicySpeculativeTest, GreedyEpisodesEqualOneForwardPerToken) { expect_same_episodes(true); }

TEST_F(ModelPolicySpeculativeTest, SampledEpisodesEqualOneForwardPerToken) { expect_same_episodes(false); }

TEST_F(ModelPolicySpeculativeTest, AForcedTurnThatRepeatsItsContextNeedsFewerForwards) {
  auto policy = ModelPolicy::open(options(8, false));
  ASSERT_TRUE(policy) << policy.error().message;
  auto messages = initial_messages(info);
  std::vector<EpisodeStep> steps;
  // The tool call repeats the file name and the JSON keys the system prompt's schemas spell out.
  const std::string call =
      "<think>try -Oz</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"matrix.bc\", "
      "\"optimization_flags\": [\"-Oz\"]}}\n</tool_call>";
  EpisodeState s{info, messages, tools.tools().schemas, steps, 400};
  auto r = (*policy)->act_forced(s, call);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->text, call);
  const auto st = (*policy)->stats();
  EXPECT_GT(st.accepted_tokens, 0u);
  EXPECT_EQ(st.decode_forwards + st.accepted_tokens, st.generated_tokens - 1);
  EXPECT_LT(st.decode_forwards, st.generated_tokens - 1);
}

}  // namespace
}  // namespace cr1::agent
