// The model policy keeps an episode's keys/values across turns (the model's prefix cache) and prefills
// the system prompt once: real episodes with the tiny random Qwen2 fixture give the same turns as
// re-prefilling the whole conversation every turn (greedy and seeded sampling), while the later turns
// prefill only what is new.
#include <gtest/gtest.h>

#include "agent/chat.h"
#include "agent/model_policy.h"
#include "agent/prompt.h"
#include "model_policy_test_support.h"
#include "model/language_model.h"
#include "model/tokenizer.h"

namespace cr1::agent {
namespace {

namespace fs = std::filesystem;

ModelPolicyOptions options(bool cached, bool greedy) {
  ModelPolicyOptions o = test::tiny_model_options(3);
  o.prefix_cache_bytes = cached ? size_t{64} << 20 : 0;
  if (greedy) o.sampling.greedy = true;
  return o;
}

struct ModelPolicyPrefixTest : test::MatrixEpisodeTest {
  EpisodeRecord run(Policy& policy) { return run_matrix_episode(policy, test::short_episodes(24)); }
  void expect_same_episodes(bool greedy) {
    auto full = ModelPolicy::open(options(false, greedy));
    auto cached = ModelPolicy::open(options(true, greedy));
    ASSERT_TRUE(full && cached) << (full ? cached.error().message : full.error().message);
    for (int episode = 0; episode < 2; ++episode) {  // the second starts from the pinned system prompt
      auto a = run(**full), b = run(**cached);
      ASSERT_EQ(a.messages.size(), b.messages.size()) << episode;
      for (size_t i = 0; i < a.messages.size(); ++i) EXPECT_EQ(a.messages[i].content, b.messages[i].content) << i;
      EXPECT_EQ(a.end_reason, b.end_reason);
    }
    auto fs = (*full)->stats(), cs = (*cached)->stats();
    EXPECT_EQ(fs.prompt_tokens, cs.prompt_tokens);
    EXPECT_EQ(fs.generated_tokens, cs.generated_tokens);
    EXPECT_EQ(fs.cached_tokens, 0u);
    EXPECT_EQ(fs.pinned_tokens, 0u);
    // The system prompt (tool schemas included) was prefilled once; every turn started from a cached prefix.
    const auto& tok = (*cached)->tokenizer();
    const auto system = initial_messages(info)[0];
    const size_t system_tokens = tok.encode(render_chatml({system}, tools.tools().schemas, false)).size();
    EXPECT_EQ(cs.pinned_tokens, system_tokens);
    EXPECT_GE(cs.cached_tokens, cs.turns * system_tokens);
    auto ms = (*cached)->model().prefix_cache_stats();
    EXPECT_EQ(ms.lookups, cs.turns);
    EXPECT_EQ(ms.hits, cs.turns);
    EXPECT_EQ(ms.pinned, 1u);
  }
};

TEST_F(ModelPolicyPrefixTest, GreedyEpisodesEqualFullReprefill) { expect_same_episodes(true); }

TEST_F(ModelPolicyPrefixTest, SampledEpisodesEqualFullReprefill) { expect_same_episodes(false); }

TEST_F(ModelPolicyPrefixTest, ForcedTurnsPrefillOnlyTheNewTokens) {
  auto policy = ModelPolicy::open(options(true, false));
  ASSERT_TRUE(policy) << policy.error().message;
  auto& p = **policy;
  std::vector<ChatMessage> messages = initial_messages(info);
  auto schemas = tools.tools().schemas;
  std::vector<EpisodeStep> steps;
  const std::string call =
      "<think>try -Oz</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"matrix.bc\", "
      "\"optimization_flags\": [\"-Oz\"]}}\n</tool_call>";
  EpisodeState s1{info, messages, schemas, steps, 200};
  const auto prompt1 = p.prompt_ids(s1).size();  // s1 reads `messages`, which grows below
  auto r1 = p.act_forced(s1, call);
  ASSERT_TRUE(r1) << r1.error().message;
  EXPECT_EQ(r1->text, call);
  const auto after1 = p.stats();

  messages.push_back({"assistant", r1->text});
  messages.push_back({"tool", R"({"status": "success", "improvement_over_oz": 0.0})"});
  EpisodeState s2{info, messages, schemas, steps, 200};
  auto r2 = p.act_forced(s2, "<think>done</think>\n<answer>[\"-Oz\"]</answer>");
  ASSERT_TRUE(r2) << r2.error().message;
  const auto after2 = p.stats();
  // Turn 2 reads turn 1's prompt and turn (all but the last token, which never ran) from the cache.
  const auto prompt2 = p.prompt_ids(s2).size();
  EXPECT_EQ(after2.prompt_tokens - after1.prompt_tokens, prompt2);
  EXPECT_EQ(after2.cached_tokens - after1.cached_tokens, prompt1 + *r1->tokens - 1);
  EXPECT_LT(prompt2 - (prompt1 + *r1->tokens - 1), 40u);  // the tool response and the next header
  EXPECT_EQ(p.model().prefix_cache_stats().takes, 1u);
}

}  // namespace
}  // namespace cr1::agent
