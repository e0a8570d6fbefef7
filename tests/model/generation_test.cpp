#include "model/generation.h"

#include <gtest/gtest.h>

#include "model/language_model.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

std::vector<std::vector<TokenId>> prompts() { return {{3, 14, 15, 9, 2, 6}, {5, 35}, {8, 9, 7, 9, 3, 2, 3, 8, 4}}; }

TEST(Generation, BatchedEqualsOneByOne) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 21);
  GenerationOptions o;
  o.sampling.greedy = true;
  o.sampling.repetition_penalty = 1.05;
  o.max_new_tokens = 12;
  o.stop_token_ids = {7};  // finishes some rows early, so the batch shrinks on the way
  auto batch = generate(m, prompts(), o);
  ASSERT_EQ(batch.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto alone = generate(m, {prompts()[i]}, o);
    EXPECT_EQ(batch[i].tokens, alone[0].tokens) << i;
    EXPECT_EQ(batch[i].finish, alone[0].finish) << i;
    if (batch[i].finish == FinishReason::stop_token) EXPECT_EQ(batch[i].tokens.back(), 7);
    else EXPECT_EQ(batch[i].tokens.size(), 12u);
  }
}

TEST(Generation, OnTokenStreamsEveryTokenInOrder) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 24);
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 9;
  o.stop_token_ids = {7};
  std::vector<std::vector<TokenId>> streamed(3);
  o.on_token = [&](size_t row, TokenId t) { streamed.at(row).push_back(t); };
  auto out = generate(m, prompts(), o);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(streamed[i], out[i].tokens) << i;
}

TEST(Generation, SeededSamplingIsDeterministic) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 22);
  GenerationOptions o;
  o.sampling.temperature = 1.0;
  o.sampling.top_p = 0.95;
  o.sampling.top_k = 40;
  o.max_new_tokens = 16;
  o.seed = 5;
  auto a = generate(m, prompts(), o);
  auto b = generate(m, prompts(), o);
  o.seed = 6;
  auto c = generate(m, prompts(), o);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    differs = differs || a[i].tokens != c[i].tokens;
  }
  EXPECT_TRUE(differs);
}

TEST(Generation, StopStringsThroughTheDecoder) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 23);
  // A decoder that spells token t as a letter; the stop string is a piece of the greedy output, so
  // generation must stop right after the token that completes it.
  auto decode = [](std::span<const TokenId> ids) {
    std::string s;
    for (TokenId t : ids) s += static_cast<char>('A' + t % 50);
    return s;
  };
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 10;
  auto free_run = generate(m, {prompts()[0]}, o)[0].tokens;
  ASSERT_EQ(free_run.size(), 10u);
  // The first two-token piece of the output that does not occur earlier in it.
  std::string stop;
  size_t at = 0;
  const std::string text = decode(free_run);
  for (at = 1; at + 2 <= free_run.size(); ++at) {
    stop = text.substr(at, 2);
    if (text.find(stop) == at) break;
  }
  ASSERT_LT(at + 2, free_run.size() + 1) << text;
  o.stop_strings = {"</never>", stop};
  auto out = generate(m, {prompts()[0]}, o, decode)[0];
  EXPECT_EQ(out.finish, FinishReason::stop_string);
  EXPECT_EQ(out.stop, stop);
  EXPECT_EQ(out.tokens, std::vector<TokenId>(free_run.begin(), free_run.begin() + at + 2));
}

TEST(Generation, BadInputIsAnError) {
  auto lm = LanguageModel::create(test::tiny_config(), 1);
  ASSERT_TRUE(lm) << lm.error().message;
  GenerationOptions o;
  auto empty = lm->generate({{}}, o);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("prompt 0 is empty"), std::string::npos);
  auto oov = lm->generate({{1, 50}}, o);
  ASSERT_FALSE(oov);
  EXPECT_NE(oov.error().message.find("token id 50 outside"), std::string::npos);
  o.max_new_tokens = 200;
  auto too_long = lm->generate({{1}}, o);
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("max_position_embeddings"), std::string::npos);
  o.max_new_tokens = 4;
  o.stop_strings = {"x"};
  auto no_decoder = lm->generate({{1}}, o);
  ASSERT_FALSE(no_decoder);
  EXPECT_NE(no_decoder.error().message.find("decode function"), std::string::npos);
  EXPECT_FALSE(LanguageModel::create(test::tiny_config(), 1, {.device = "tpu"}));
}

TEST(LanguageModel, SaveLoadGenerateAndLogits) {
  test::ScratchDir dir;
  auto lm = LanguageModel::create(test::tiny_config(), 3);
  ASSERT_TRUE(lm);
  ASSERT_TRUE(lm->save(dir.path, {.dtype = WeightDType::bf16, .max_shard_bytes = 0}));
  auto back = LanguageModel::load(dir.path);  // bf16 on disk, f32 on the CPU by default
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->network().options().dtype().toScalarType(), at::kFloat);
  EXPECT_EQ(back->config().torch_dtype, WeightDType::bf16);
  std::vector<TokenId> tokens = {1, 2, 3, 4};
  auto l = back->logits(tokens);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size(), 4u * 50u);
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 5;
  auto out = back->generate({tokens}, o);
  ASSERT_TRUE(out);
  ASSERT_EQ((*out)[0].tokens.size(), 5u);
  // The first generated token is the argmax of the last position's logits.
  auto last = l->begin() + 3 * 50;
  EXPECT_EQ((*out)[0].tokens[0], std::max_element(last, last + 50) - last);
}

}  // namespace
}  // namespace cr1::model
