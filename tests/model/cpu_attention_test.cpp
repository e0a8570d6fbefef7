// The written-out CPU attention (model/cpu_attention.h) against ATen's reference
// (compat::grouped_attention): prefill and decode shapes, grouped heads, cache slices, left padding
// with queries that see no key, query tiles and key blocks with remainders, head sizes that are not a
// multiple of the vector; and whole models with it on and off.
#include "model/cpu_attention.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "model/language_model.h"
#include "model/qwen2_model.h"
#include "model/torch_compat.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

struct Case {
  int64_t B, H, KV, T, past, D;
};

void expect_matches_reference(const Case& c, bool padded) {
  c10::InferenceMode guard;
  at::manual_seed(c.B * 1000 + c.T * 10 + c.D);
  const int64_t L = c.past + c.T, capacity = L + 5;
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  // q as the model slices it: (B, T, H + 2 KV, D) -> the first H heads.
  auto qkv = at::randn({c.B, c.T, c.H + 2 * c.KV, c.D}, f32);
  auto q = qkv.narrow(2, 0, c.H);
  // k, v as slices of a larger cache along the positions.
  auto k = at::randn({c.B, c.KV, capacity, c.D}, f32).narrow(2, 0, L);
  auto v = at::randn({c.B, c.KV, capacity, c.D}, f32).narrow(2, 0, L);
  auto mask = at::ones({c.B, L}, at::TensorOptions().dtype(at::kLong));
  if (padded) mask.narrow(0, 0, 1).narrow(1, 0, std::min<int64_t>(L - 1, c.past + 2)).fill_(0);  // row 0 left-padded
  auto bias = make_attention_bias(mask, c.T, at::kFloat);

  auto ours = cpu_grouped_attention(q, k, v, bias);
  auto reference = compat::grouped_attention(q.transpose(1, 2), k, v, bias).transpose(1, 2).reshape({c.B, c.T, c.H * c.D});
  ASSERT_EQ(ours.sizes(), reference.sizes());
  EXPECT_LT((ours - reference).abs().max().item<float>(), 2e-5)
      << "B " << c.B << " H " << c.H << " KV " << c.KV << " T " << c.T << " past " << c.past << " D " << c.D;
}

TEST(CpuAttention, MatchesTheReference) {
  for (const Case& c : {Case{1, 4, 2, 1, 30, 64}, Case{2, 4, 2, 1, 100, 64}, Case{1, 4, 2, 70, 0, 64},
                        Case{2, 4, 4, 130, 17, 16}, Case{3, 6, 2, 5, 9, 8}, Case{1, 2, 1, 3, 0, 12},
                        // Tiles of several positions, keys past a whole block, many heads per KV head, head
                        // sizes above one vector with and without a remainder.
                        Case{2, 4, 2, 40, 100, 64}, Case{1, 8, 1, 9, 600, 64}, Case{2, 32, 2, 3, 33, 32},
                        Case{1, 3, 3, 17, 15, 96}, Case{2, 4, 2, 21, 4, 20}, Case{1, 4, 2, 9, 1000, 64},
                        Case{2, 4, 2, 3, 700, 64}, Case{1, 2, 2, 2, 50, 32}}) {
    expect_matches_reference(c, false);
    if (c.B > 1) expect_matches_reference(c, true);
  }
}

TEST(CpuAttention, OnlyForCpuFloatInference) {
  auto x = at::zeros({1, 1, 2, 8});
  {
    c10::InferenceMode guard;
    EXPECT_TRUE(cpu_attention_applies(x));
    EXPECT_FALSE(cpu_attention_applies(x.to(at::kDouble)));
  }
  c10::AutoGradMode grad(true);
  EXPECT_FALSE(cpu_attention_applies(x));
}

TEST(CpuAttention, WholeModelSameLogitsAndTokensOnAndOff) {
  auto on = LanguageModel::create(test::tiny_config(), 51, {});
  auto off = LanguageModel::create(test::tiny_config(), 51, {.cpu_attention = false});
  ASSERT_TRUE(on && off);
  std::vector<TokenId> seq = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4};
  auto a = on->logits(seq), b = off->logits(seq);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->size(), b->size());
  float worst = 0;
  for (size_t i = 0; i < a->size(); ++i) worst = std::max(worst, std::abs((*a)[i] - (*b)[i]));
  EXPECT_LT(worst, 1e-5);
  GenerationOptions g;
  g.sampling.greedy = true;
  g.max_new_tokens = 12;
  auto ga = on->generate({seq, {7, 7, 1}}, g), gb = off->generate({seq, {7, 7, 1}}, g);
  ASSERT_TRUE(ga && gb);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ((*ga)[i].tokens, (*gb)[i].tokens) << i;
}

}  // namespace
}  // namespace cr1::model
