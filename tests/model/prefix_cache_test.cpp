// The prefix cache (model/prefix_cache.h): a prompt that starts from cached keys/values and prefills only
// its new tokens gets the logits and tokens of a full prefill (within f32 rounding: 1e-4 on logits,
// identical greedy and seeded-sampled tokens), over several turns of a conversation, single and
// batched; entries are taken, copied, pinned, superseded and evicted as documented.
#include "model/prefix_cache.h"

#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "model/generation.h"
#include "model/language_model.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

ModelConfig config() {
  auto c = test::tiny_config();
  c.vocab_size = 64;
  c.max_position_embeddings = 1024;
  return c;
}

LanguageModel make(size_t cache_bytes) {
  RuntimeOptions rt;
  rt.prefix_cache_bytes = cache_bytes;
  auto lm = LanguageModel::create(config(), 41, rt);
  if (!lm) throw std::runtime_error(lm.error().message);
  return std::move(*lm);
}

// Deterministic pseudo-random ids in [1, 63].
std::vector<TokenId> ids(size_t n, uint32_t seed) {
  std::vector<TokenId> out;
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    out.push_back(static_cast<TokenId>(1 + (seed >> 8) % 63));
  }
  return out;
}

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Logits of the last `count` positions of `tokens`, starting from `cache` (batch 1, cache.length past tokens).
at::Tensor logits_from(const Qwen2Model& net, const std::vector<TokenId>& tokens, KvCache& cache) {
  c10::InferenceMode guard;
  const int64_t n = static_cast<int64_t>(tokens.size()), past = cache.length, T = n - past;
  auto input = at::tensor(std::vector<int64_t>(tokens.begin() + past, tokens.end()), at::kLong).view({1, T});
  auto positions = at::arange(past, n, at::TensorOptions().dtype(at::kLong)).view({1, T});
  auto mask = at::ones({1, n}, at::TensorOptions().dtype(at::kLong));
  return net.logits(net.forward(input, positions, make_attention_bias(mask, T, at::kFloat), &cache)).squeeze(0);
}

at::Tensor full_logits(const LanguageModel& lm, const std::vector<TokenId>& tokens, int64_t from) {
  auto all = lm.logits(tokens);
  if (!all) throw std::runtime_error(all.error().message);
  const int64_t V = lm.config().vocab_size, n = static_cast<int64_t>(tokens.size());
  return at::tensor(*all).view({n, V}).narrow(0, from, n - from);
}

TEST(PrefixCache, LogitsAfterACachedPrefixMatchAFullPrefill) {
  auto lm = make(64 << 20);
  const auto& net = lm.network();
  PrefixCache cache(64 << 20);
  auto seq = ids(150, 1);
  std::vector<TokenId> head(seq.begin(), seq.begin() + 90);

  KvCache first = cache.acquire(net, head, 89, 128);  // nothing cached yet
  EXPECT_EQ(first.length, 0);
  EXPECT_GE(first.capacity(), 128);
  auto head_logits = logits_from(net, head, first);
  EXPECT_LT((head_logits - full_logits(lm, head, 0)).abs().max().item<float>(), 1e-4);
  cache.release(head, std::move(first));

  // More than the entry's capacity (needed + headroom): the prefix is copied into a new cache.
  ASSERT_LT(PrefixCache::capacity_with_headroom(128), 2000);
  KvCache copied = cache.acquire(net, seq, 149, 2000);
  EXPECT_EQ(copied.length, 90);
  EXPECT_GE(copied.capacity(), 2000);
  auto tail = logits_from(net, seq, copied);
  EXPECT_LT((tail - full_logits(lm, seq, 90)).abs().max().item<float>(), 1e-4);
  PrefixCacheStats s;
  cache.fill(s);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.takes, 0u);
  EXPECT_EQ(s.entries, 1u);  // the copy left the entry where it was

  // Within its capacity and covering the whole entry: taken, extended in place.
  KvCache taken = cache.acquire(net, concat(head, ids(20, 9)), 109, 128);
  EXPECT_EQ(taken.length, 90);
  cache.fill(s);
  EXPECT_EQ(s.takes, 1u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
  auto other = concat(head, ids(20, 9));
  EXPECT_LT((logits_from(net, other, taken) - full_logits(lm, other, 90)).abs().max().item<float>(), 1e-4);
}

TEST(PrefixCache, ReleaseSupersedesPinsStayAndTheBudgetEvicts) {
  auto lm = make(64 << 20);
  const auto& net = lm.network();
  auto system = ids(40, 2);
  const size_t entry_bytes = 2 /*k, v*/ * 2 /*layers*/ * 2 /*KV heads*/ * 8 /*head dim*/ * 4 /*f32*/;  // per position
  const int64_t conversation = PrefixCache::capacity_with_headroom(256);  // positions of one entry below
  PrefixCache cache(entry_bytes * (40 + 2 * conversation + 100));
  cache.pin(net, system);
  cache.pin(net, system);  // once
  PrefixCacheStats s;
  cache.fill(s);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.pinned, 1u);
  EXPECT_EQ(s.prefilled_tokens, 40u);

  // A conversation that starts with the pinned prompt copies it (a pin is never taken).
  auto a = concat(system, ids(30, 3));
  KvCache ca = cache.acquire(net, a, static_cast<int64_t>(a.size()) - 1, 256);
  EXPECT_EQ(ca.length, 40);
  logits_from(net, a, ca);
  cache.release(a, std::move(ca));
  cache.fill(s);
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.takes, 0u);

  // Its next turn extends it: the old entry is dropped, the pin stays.
  auto a2 = concat(a, ids(10, 4));
  KvCache ca2 = cache.acquire(net, a2, static_cast<int64_t>(a2.size()) - 1, 256);
  EXPECT_EQ(ca2.length, static_cast<int64_t>(a.size()));
  logits_from(net, a2, ca2);
  cache.release(a2, std::move(ca2));
  cache.fill(s);
  EXPECT_EQ(s.takes, 1u);
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.pinned, 1u);

  // Two more conversations overflow the budget (the pin and two conversations): the least recently
  // used goes, never the pin.
  for (uint32_t k = 5; k < 7; ++k) {
    auto b = concat(system, ids(20, k));
    KvCache cb = cache.acquire(net, b, static_cast<int64_t>(b.size()) - 1, 256);
    logits_from(net, b, cb);
    cache.release(b, std::move(cb));
  }
  cache.fill(s);
  EXPECT_LE(s.bytes, s.max_bytes);
  EXPECT_GE(s.evictions, 1u);
  EXPECT_EQ(s.pinned, 1u);
  KvCache again = cache.acquire(net, a2, static_cast<int64_t>(a2.size()) - 1, 64);
  EXPECT_EQ(again.length, 40);  // conversation a was evicted; the pinned prompt remains
}

// A conversation of three turns, as the agent runs it: each prompt is the last prompt, the tokens
// generated, and new tokens (a tool response). With the cache, each turn prefills only what is new.
void expect_same_turns(const SamplingOptions& sampling) {
  auto cached = make(64 << 20), full = make(0);
  GenerationOptions g;
  g.sampling = sampling;
  g.max_new_tokens = 12;
  g.seed = 5;
  std::vector<TokenId> prompt = ids(120, 7);
  int64_t expect_cached = 0;
  for (uint32_t turn = 0; turn < 3; ++turn) {
    auto a = cached.generate({prompt}, g);
    auto b = full.generate({prompt}, g);
    ASSERT_TRUE(a && b);
    EXPECT_EQ((*a)[0].tokens, (*b)[0].tokens) << "turn " << turn;
    EXPECT_EQ((*a)[0].finish, (*b)[0].finish);
    EXPECT_EQ((*a)[0].cached_tokens, expect_cached) << "turn " << turn;
    EXPECT_EQ((*b)[0].cached_tokens, 0);
    // Cached: the prompt and every generated token but the last, which was never run.
    expect_cached = static_cast<int64_t>(prompt.size() + (*a)[0].tokens.size()) - 1;
    prompt = concat(concat(prompt, (*a)[0].tokens), ids(25, 100 + turn));
  }
  auto s = cached.prefix_cache_stats();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.lookups, 3u);
  EXPECT_EQ(s.takes, 2u);
  EXPECT_FALSE(full.prefix_cache_stats().enabled);
}

TEST(PrefixCacheGeneration, GreedyTurnsEqualFullPrefill) {
  SamplingOptions greedy;
  greedy.greedy = true;
  greedy.repetition_penalty = 1.05;
  expect_same_turns(greedy);
}

TEST(PrefixCacheGeneration, SeededSampledTurnsEqualFullPrefill) {
  expect_same_turns({.temperature = 0.7, .top_k = 20, .top_p = 0.8, .repetition_penalty = 1.05});
}

TEST(PrefixCacheGeneration, BatchedRowsWithDifferentCachedPrefixesEqualFullPrefill) {
  auto cached = make(64 << 20), full = make(0);
  GenerationOptions g;
  g.sampling.greedy = true;
  g.max_new_tokens = 10;
  auto shared = ids(60, 11);
  // Two earlier turns, run alone: their keys/values are in the cache.
  std::vector<std::vector<TokenId>> first = {concat(shared, ids(30, 12)), concat(shared, ids(5, 13))};
  std::vector<std::vector<TokenId>> turns;
  for (const auto& p : first) {
    auto r = cached.generate({p}, g);
    ASSERT_TRUE(r);
    turns.push_back(concat(concat(p, (*r)[0].tokens), ids(7, 14)));
  }
  // A new conversation sharing only `shared` (looked up first, so both entries are still there to copy
  // from), the next turns of the two (each takes its own entry), and one sharing nothing.
  std::vector<std::vector<TokenId>> second = {concat(shared, ids(50, 15)), turns[0], turns[1], ids(33, 16)};
  std::vector<GenerationOptions> rows(second.size(), g);
  rows[2].max_new_tokens = 3;  // finishes first: its row leaves the batch early
  auto a = cached.generate_rows(second, rows);
  auto b = full.generate_rows(second, rows);
  ASSERT_TRUE(a && b);
  for (size_t i = 0; i < second.size(); ++i) EXPECT_EQ((*a)[i].tokens, (*b)[i].tokens) << i;
  EXPECT_GE((*a)[0].cached_tokens, 60);
  EXPECT_EQ((*a)[1].cached_tokens, static_cast<int64_t>(first[0].size()) + 9);
  EXPECT_EQ((*a)[2].cached_tokens, static_cast<int64_t>(first[1].size()) + 9);
  EXPECT_EQ((*a)[3].cached_tokens, 0);

  // Each row went back to the cache with what it decoded: a third turn of row 2 reuses all of it.
  auto third = concat(concat(second[2], (*a)[2].tokens), ids(4, 17));
  auto r3 = cached.generate({third}, g);
  auto f3 = full.generate({third}, g);
  ASSERT_TRUE(r3 && f3);
  EXPECT_EQ((*r3)[0].tokens, (*f3)[0].tokens);
  EXPECT_EQ((*a)[2].tokens.size(), 3u);
  EXPECT_EQ((*r3)[0].cached_tokens, static_cast<int64_t>(second[2].size() + (*a)[2].tokens.size()) - 1);
}

TEST(PrefixCacheGeneration, PinnedPrefixServesEveryPromptThatStartsWithIt) {
  auto cached = make(64 << 20), full = make(0);
  auto system = ids(80, 21);
  ASSERT_TRUE(cached.pin_prefix(system));
  ASSERT_TRUE(full.pin_prefix(system));  // nothing to do without a cache
  EXPECT_EQ(full.prefix_cache_stats().entries, 0u);
  GenerationOptions g;
  g.sampling.greedy = true;
  g.max_new_tokens = 6;
  for (uint32_t k = 0; k < 3; ++k) {
    auto p = concat(system, ids(20 + k, 22 + k));
    auto a = cached.generate({p}, g);
    auto b = full.generate({p}, g);
    ASSERT_TRUE(a && b);
    EXPECT_EQ((*a)[0].tokens, (*b)[0].tokens);
    EXPECT_GE((*a)[0].cached_tokens, 80);
  }
  EXPECT_EQ(cached.prefix_cache_stats().pinned, 1u);
  std::vector<TokenId> bad = {1, 2, 999};
  EXPECT_FALSE(cached.pin_prefix(bad));
}

}  // namespace
}  // namespace cr1::model
