// Teacher forcing (GenerationOptions::forced_tokens), the prefill/decode timings of a result, and running
// a model past its configured positions (Qwen2Model::set_max_positions, RuntimeOptions::max_positions).
#include <gtest/gtest.h>

#include "model/generation.h"
#include "model/language_model.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

TEST(GenerationForcing, EmitsTheForcedTokensAndEndsWithThem) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 31);
  GenerationOptions o;
  o.sampling = {.temperature = 0.7, .top_k = 20, .top_p = 0.8, .repetition_penalty = 1.05};
  o.max_new_tokens = 20;
  o.forced_tokens = {4, 8, 15, 16, 23, 42};
  auto r = generate(m, {{1, 2, 3}}, o);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tokens, o.forced_tokens);
  EXPECT_EQ(r[0].finish, FinishReason::length);
  EXPECT_GT(r[0].prefill_seconds, 0.0);
  EXPECT_GT(r[0].decode_seconds, 0.0);

  // The limit and the stops still apply.
  o.max_new_tokens = 4;
  EXPECT_EQ(generate(m, {{1, 2, 3}}, o)[0].tokens, std::vector<TokenId>({4, 8, 15, 16}));
  o.max_new_tokens = 20;
  o.stop_token_ids = {15};
  auto stopped = generate(m, {{1, 2, 3}}, o);
  EXPECT_EQ(stopped[0].tokens, std::vector<TokenId>({4, 8, 15}));
  EXPECT_EQ(stopped[0].finish, FinishReason::stop_token);
}

TEST(GenerationForcing, TheModelReadsTheForcedTokens) {
  // Forcing the tokens greedy decoding chose gives them back; a forced row batched with a free one
  // leaves the free row as it is alone.
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 32);
  GenerationOptions g;
  g.sampling.greedy = true;
  g.max_new_tokens = 8;
  auto free = generate(m, {{5, 6, 7}}, g)[0].tokens;
  GenerationOptions f = g;
  f.forced_tokens = free;
  EXPECT_EQ(generate(m, {{5, 6, 7}}, f)[0].tokens, free);

  std::vector<TokenId> prefix = {9, 9, 30};
  auto after_prefix = generate(m, {{5, 6, 7, 9, 9, 30}}, g)[0].tokens;
  GenerationOptions partly = g;
  partly.forced_tokens = prefix;
  partly.max_new_tokens = 3;
  EXPECT_EQ(generate(m, {{5, 6, 7}}, partly)[0].tokens, prefix);
  // Row-wise options: one forced row and one free row in a batch, each as if alone.
  std::vector<GenerationOptions> rows = {partly, g};
  auto both = generate_rows(m, {{5, 6, 7}, {5, 6, 7, 9, 9, 30}}, rows);
  EXPECT_EQ(both[0].tokens, prefix);
  EXPECT_EQ(both[1].tokens, after_prefix);
}

TEST(MaxPositions, RunsPastTheConfiguredContextAndKeepsTheEarlyPositions) {
  auto lm = LanguageModel::create(test::tiny_config(), 33, {});
  ASSERT_TRUE(lm);
  std::vector<TokenId> long_prompt(150, 3);
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 4;
  auto refused = lm->generate({long_prompt}, o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("max_position_embeddings 128"), std::string::npos);

  auto short_logits = lm->logits(std::vector<TokenId>{1, 2, 3, 4});
  auto longer = LanguageModel::create(test::tiny_config(), 33, {.max_positions = 512});
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->config().max_position_embeddings, 512);
  auto ok = longer->generate({long_prompt}, o);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)[0].tokens.size(), 4u);
  // The rotary angles of a position do not depend on how many positions the table has.
  auto same = longer->logits(std::vector<TokenId>{1, 2, 3, 4});
  ASSERT_TRUE(short_logits && same);
  ASSERT_EQ(short_logits->size(), same->size());
  for (size_t i = 0; i < same->size(); ++i) EXPECT_NEAR((*short_logits)[i], (*same)[i], 1e-5) << i;
}

}  // namespace
}  // namespace cr1::model
