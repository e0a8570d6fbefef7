// Prompt-lookup speculative decoding (GenerationOptions::lookup_draft_tokens, model/prompt_lookup.h):
// the drafts, and generation that gives the tokens of plain decoding -- greedy and seeded sampling, with
// stops, limits, streaming, teacher forcing, a batch that shrinks to one row, and across the turns of a
// conversation through the prefix cache (which holds only the keys/values of accepted tokens).
#include "model/prompt_lookup.h"

#include <gtest/gtest.h>

#include "model/generation.h"
#include "model/language_model.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

TEST(PromptLookup, CopiesWhatFollowedTheLatestMatchOfTheLongestTail) {
  //                          0  1  2  3  4  5  6  7  8  9
  std::vector<TokenId> seq = {1, 2, 3, 4, 5, 9, 2, 3, 7, 2, 3};
  // Tail (2, 3): latest earlier match at 6 -> 7, 2, 3 follow.
  EXPECT_EQ(prompt_lookup_draft(seq, 2, 3), std::vector<TokenId>({7, 2, 3}));
  EXPECT_EQ(prompt_lookup_draft(seq, 2, 1), std::vector<TokenId>({7}));
  // Tail (7, 2, 3) has no earlier match; (2, 3) does.
  EXPECT_EQ(prompt_lookup_draft(seq, 3, 2), std::vector<TokenId>({7, 2}));
  // The draft stops at the end of the sequence.
  std::vector<TokenId> short_tail = {5, 6, 5};
  EXPECT_EQ(prompt_lookup_draft(short_tail, 2, 8), std::vector<TokenId>({6, 5}));
  // A minimum match length: (3) alone matches at 2, but (7, 2, 3) and (2, 3) count only from n = 2.
  EXPECT_EQ(prompt_lookup_draft(seq, 3, 2, 2), std::vector<TokenId>({7, 2}));
  std::vector<TokenId> unigram = {4, 1, 2, 4};
  EXPECT_EQ(prompt_lookup_draft(unigram, 3, 2, 1), std::vector<TokenId>({1, 2}));
  EXPECT_TRUE(prompt_lookup_draft(unigram, 3, 2, 2).empty());
  // Nothing matches, or nothing to draft.
  std::vector<TokenId> distinct = {1, 2, 3, 4};
  EXPECT_TRUE(prompt_lookup_draft(distinct, 3, 5).empty());
  EXPECT_TRUE(prompt_lookup_draft(seq, 2, 0).empty());
  EXPECT_TRUE(prompt_lookup_draft(std::vector<TokenId>{4}, 2, 3).empty());
}

// A prompt that repeats itself, so that drafts exist from the start.
std::vector<TokenId> repetitive_prompt() {
  std::vector<TokenId> p;
  for (int r = 0; r < 3; ++r)
    for (TokenId t : {11, 4, 27, 8, 33, 19, 4, 27, 41, 2}) p.push_back(t);
  return p;
}

struct Pair {
  GenerationResult plain, speculative;
};

Pair run_both(const Qwen2Model& m, const std::vector<std::vector<TokenId>>& prompts, GenerationOptions o,
              size_t row = 0, const DecodeFn& decode = {}) {
  o.lookup_draft_tokens = 0;
  auto plain = generate(m, prompts, o, decode);
  o.lookup_draft_tokens = 5;
  auto spec = generate(m, prompts, o, decode);
  return {plain.at(row), spec.at(row)};
}

TEST(SpeculativeDecoding, GreedyTokensEqualPlainDecoding) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 51);
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 60;
  int64_t drafted = 0, accepted = 0;
  for (uint64_t seed : {51u, 52u, 53u}) {
    Qwen2Model net(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), seed);
    auto [plain, spec] = run_both(net, {repetitive_prompt()}, o);
    EXPECT_EQ(spec.tokens, plain.tokens) << seed;
    EXPECT_EQ(spec.finish, plain.finish);
    EXPECT_EQ(plain.decode_forwards, 59);  // one forward per token but the last
    EXPECT_EQ(plain.drafted_tokens, 0);
    // Every token comes from a forward of its own or from an accepted draft.
    EXPECT_EQ(spec.decode_forwards + spec.accepted_tokens, 59) << seed;
    EXPECT_LE(spec.accepted_tokens, spec.drafted_tokens);
    drafted += spec.drafted_tokens;
    accepted += spec.accepted_tokens;
  }
  // A small random model soon repeats itself, which the lookup finds; some drafts are wrong, and their
  // keys/values are dropped.
  EXPECT_GT(accepted, 0);
  EXPECT_GT(drafted, accepted);
}

TEST(SpeculativeDecoding, SeededSamplingDrawsWhatPlainDecodingDraws) {
  // One draw per emitted token from the row's generator, in order, as without drafts; the repetition
  // penalty sees each accepted token before the next position is chosen.
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 60 + seed);
    GenerationOptions o;
    o.sampling = {.temperature = 0.3, .top_k = 20, .top_p = 0.9, .repetition_penalty = 1.05};
    o.max_new_tokens = 40;
    o.seed = seed;
    auto [plain, spec] = run_both(m, {repetitive_prompt()}, o);
    EXPECT_EQ(spec.tokens, plain.tokens) << seed;
    // generate_rows (per-row generators, the batched generator's path) too.
    GenerationOptions r = o;
    r.lookup_draft_tokens = 4;
    auto rows = generate_rows(m, {repetitive_prompt()}, {r});
    EXPECT_EQ(rows[0].tokens, plain.tokens) << seed;
  }
}

TEST(SpeculativeDecoding, StopsLimitsAndStreamingApplyInsideAcceptedDrafts) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 71);
  GenerationOptions o;
  o.sampling.greedy = true;
  o.max_new_tokens = 40;
  auto free_run = run_both(m, {repetitive_prompt()}, o).plain.tokens;
  ASSERT_EQ(free_run.size(), 40u);
  // Every limit ends where plain decoding ends.
  for (int64_t limit : {1, 2, 7, 13, 29}) {
    o.max_new_tokens = limit;
    auto [plain, spec] = run_both(m, {repetitive_prompt()}, o);
    EXPECT_EQ(spec.tokens, plain.tokens) << limit;
    EXPECT_EQ(static_cast<int64_t>(spec.tokens.size()), limit);
  }
  // A stop token that first appears late in the output.
  o.max_new_tokens = 40;
  o.stop_token_ids = {free_run[25]};
  auto [plain, spec] = run_both(m, {repetitive_prompt()}, o);
  EXPECT_EQ(spec.tokens, plain.tokens);
  EXPECT_EQ(spec.finish, FinishReason::stop_token);
  // Streaming sees each emitted token once, in order.
  o.stop_token_ids.clear();
  o.lookup_draft_tokens = 6;
  std::vector<TokenId> streamed;
  o.on_token = [&](size_t, TokenId t) { streamed.push_back(t); };
  auto out = generate(m, {repetitive_prompt()}, o)[0];
  EXPECT_EQ(streamed, out.tokens);
  EXPECT_EQ(out.tokens, free_run);
}

TEST(SpeculativeDecoding, ForcedTokensAcceptDraftsExactlyWhereTheyMatch) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 81);
  GenerationOptions o;
  o.sampling = {.temperature = 0.7, .top_k = 20, .top_p = 0.8, .repetition_penalty = 1.05};
  // The forced turn copies a stretch of the prompt, then leaves it: drafts of the copy are right.
  const auto prompt = repetitive_prompt();
  o.forced_tokens = {11, 4, 27, 8, 33, 19, 4, 27, 41, 2, 11, 4, 5, 6, 7};
  o.max_new_tokens = 50;
  o.lookup_draft_tokens = 4;
  auto r = generate(m, {prompt}, o)[0];
  EXPECT_EQ(r.tokens, o.forced_tokens);
  EXPECT_GT(r.accepted_tokens, 5);
  EXPECT_EQ(r.decode_forwards + r.accepted_tokens, static_cast<int64_t>(o.forced_tokens.size()) - 1);
  EXPECT_LT(r.decode_forwards, static_cast<int64_t>(o.forced_tokens.size()) - 1);
}

TEST(SpeculativeDecoding, TheLastRowOfAShrinkingBatchSpeculatesFromItsPaddedCache) {
  // Rows of different lengths (left padding) that stop at different times: the last one left decodes
  // speculatively in the merged cache; every row equals its plain decoding.
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 91);
  GenerationOptions o;
  o.sampling.greedy = true;
  std::vector<GenerationOptions> rows(3, o);
  rows[0].max_new_tokens = 3;
  rows[1].max_new_tokens = 30;
  rows[2].max_new_tokens = 8;
  std::vector<std::vector<TokenId>> prompts = {{1, 2, 3}, {5, 6}, repetitive_prompt()};
  auto plain = generate_rows(m, prompts, rows);
  for (auto& r : rows) r.lookup_draft_tokens = 5;
  auto spec = generate_rows(m, prompts, rows);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(spec[i].tokens, plain[i].tokens) << i;
}

TEST(SpeculativeDecoding, TurnsThroughThePrefixCacheEqualPlainFullPrefill) {
  // The cache given back after a speculative turn holds only accepted tokens: the next turns, which
  // start from it, equal a model that re-reads the whole conversation without drafts.
  auto config = test::tiny_config();
  config.max_position_embeddings = 512;
  auto cached = LanguageModel::create(config, 101, {.prefix_cache_bytes = 64 << 20});
  auto full = LanguageModel::create(config, 101, {});
  ASSERT_TRUE(cached && full);
  GenerationOptions plain;
  plain.sampling = {.temperature = 0.5, .top_k = 20, .top_p = 0.9, .repetition_penalty = 1.05};
  plain.max_new_tokens = 30;
  plain.seed = 3;
  GenerationOptions spec = plain;
  spec.lookup_draft_tokens = 5;
  auto prompt = repetitive_prompt();
  int64_t drafted = 0, accepted = 0;
  for (int turn = 0; turn < 3; ++turn) {
    auto a = cached->generate({prompt}, spec);
    auto b = full->generate({prompt}, plain);
    ASSERT_TRUE(a && b);
    EXPECT_EQ((*a)[0].tokens, (*b)[0].tokens) << "turn " << turn;
    drafted += (*a)[0].drafted_tokens;
    accepted += (*a)[0].accepted_tokens;
    prompt.insert(prompt.end(), (*a)[0].tokens.begin(), (*a)[0].tokens.end());
    for (TokenId t : {7, 8, 9, 11, 4, 27}) prompt.push_back(t);  // a "tool response" that repeats
  }
  EXPECT_GT(cached->prefix_cache_stats().takes, 0u);
  EXPECT_GT(accepted, 0);
  EXPECT_GT(drafted, accepted);
}

}  // namespace
}  // namespace cr1::model
