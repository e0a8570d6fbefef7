// The pieces of the decoder against straightforward re-computations (HF's formulas written out).
#include "model/qwen2_model.h"

#include <gtest/gtest.h>

#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>

#include "model/packed_linear.h"
#include "model/torch_compat.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>();
}

TEST(Qwen2Layers, RmsNormMatchesDefinition) {
  at::manual_seed(1);
  auto x = at::randn({2, 3, 8});
  auto w = at::randn({8});
  auto ours = rms_norm(x, w, 1e-6);
  auto naive = x / (x.pow(2).mean(-1, true) + 1e-6).sqrt() * w;
  EXPECT_LT(max_diff(ours, naive), 1e-5);
  // bf16 input: computed in f32, rounded, then scaled (HF's order).
  auto xb = x.to(at::kBFloat16);
  auto wb = w.to(at::kBFloat16);
  auto ob = rms_norm(xb, wb, 1e-6);
  EXPECT_EQ(ob.scalar_type(), at::kBFloat16);
  EXPECT_LT(max_diff(ob, naive), 0.1);
}

TEST(Qwen2Layers, RotaryRotatesPairsOfHalves) {
  at::manual_seed(2);
  const int64_t hd = 8;
  auto x = at::randn({1, 3, 2, hd});  // (B, T, heads, hd)
  auto pos = at::tensor(std::vector<int64_t>{0, 1, 5}).view({1, 3});
  auto [cos, sin] = rotary_tables(16, hd, 10000.0);
  auto flat = pos.reshape({-1});
  auto ours = apply_rotary(x, cos.index_select(0, flat).view({1, 3, 1, hd}), sin.index_select(0, flat).view({1, 3, 1, hd}));
  // Element i and i + hd/2 form a 2D vector rotated by pos * theta^(-2i/hd).
  auto expect = at::empty_like(x);
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < hd / 2; ++i) {
        double angle = pos[0][t].item<double>() * std::pow(10000.0, -2.0 * i / hd);
        double a = x[0][t][h][i].item<double>(), b = x[0][t][h][i + hd / 2].item<double>();
        expect[0][t][h][i] = a * std::cos(angle) - b * std::sin(angle);
        expect[0][t][h][i + hd / 2] = b * std::cos(angle) + a * std::sin(angle);
      }
  EXPECT_LT(max_diff(ours, expect), 1e-5);
  // Position 0 is the identity.
  EXPECT_LT(max_diff(ours.select(1, 0), x.select(1, 0)), 1e-7);
}

TEST(Qwen2Layers, GroupedAttentionMatchesNaivePerHead) {
  at::manual_seed(3);
  const int64_t B = 2, H = 6, KV = 2, T = 3, L = 5, D = 4;
  auto q = at::randn({B, H, T, D});
  auto cache_k = at::randn({B, KV, 9, D});  // a cache with spare capacity, sliced along L
  auto cache_v = at::randn({B, KV, 9, D});
  auto k = cache_k.narrow(2, 0, L), v = cache_v.narrow(2, 0, L);
  auto mask = at::ones({B, L}, at::kLong);
  mask[1][0] = 0;  // left padding in row 1
  auto bias = make_attention_bias(mask, T, at::kFloat);
  auto ours = compat::grouped_attention(q, k, v, bias);
  ASSERT_EQ(ours.sizes(), (std::vector<int64_t>{B, H, T, D}));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      int64_t g = h / (H / KV);
      for (int64_t t = 0; t < T; ++t) {
        // Query t sits at key index L - T + t; it sees keys up to there that are not padding.
        std::vector<double> s;
        double top = -1e300;
        for (int64_t j = 0; j < L; ++j) {
          bool ok = j <= L - T + t && mask[b][j].item<int64_t>() == 1;
          double dot = (q[b][h][t] * k[b][g][j]).sum().item<double>() / std::sqrt(double(D));
          s.push_back(ok ? dot : -1e300);
          if (ok) top = std::max(top, dot);
        }
        auto out = at::zeros({D}, at::kDouble);
        double z = 0;
        for (int64_t j = 0; j < L; ++j) {
          double w = s[j] < -1e299 ? 0 : std::exp(s[j] - top);
          z += w;
          out += w * v[b][g][j].to(at::kDouble);
        }
        EXPECT_LT(max_diff(ours[b][h][t], out / z), 1e-5) << b << " " << h << " " << t;
      }
    }
}

TEST(Qwen2Layers, AttentionBiasIsCausalAndMasksPadding) {
  auto mask = at::tensor(std::vector<int64_t>{0, 1, 1, 1}).view({1, 4});
  auto bias = make_attention_bias(mask, 2, at::kFloat);  // queries at key indices 2 and 3
  ASSERT_EQ(bias.sizes(), (std::vector<int64_t>{1, 1, 2, 4}));
  auto allowed = (bias == 0).to(at::kLong).view({2, 4});
  auto expect = at::tensor(std::vector<int64_t>{0, 1, 1, 0, 0, 1, 1, 1}).view({2, 4});
  EXPECT_TRUE(at::equal(allowed, expect)) << allowed;
  EXPECT_EQ(bias[0][0][0][0].item<float>(), std::numeric_limits<float>::lowest());
  auto pos = positions_from_mask(at::tensor(std::vector<int64_t>{0, 0, 1, 1, 1}).view({1, 5}));
  EXPECT_TRUE(at::equal(pos, at::tensor(std::vector<int64_t>{0, 0, 0, 1, 2}).view({1, 5})));
}

// The cached, one-token-at-a-time path gives the same logits as one pass over the whole sequence.
TEST(Qwen2Layers, KvCacheMatchesFullRecomputation) {
  c10::InferenceMode guard;
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 7);
  auto ids = at::tensor(std::vector<int64_t>{3, 14, 15, 9, 26, 5, 35}).view({1, 7});
  auto mask = at::ones({1, 7}, at::kLong);
  auto full = m.logits(m.forward(ids, positions_from_mask(mask), make_attention_bias(mask, 7, at::kFloat), nullptr));
  KvCache cache = m.make_cache(1, 10);
  auto prefix = ids.narrow(1, 0, 3);
  auto pm = mask.narrow(1, 0, 3);
  auto first = m.logits(m.forward(prefix, positions_from_mask(pm), make_attention_bias(pm, 3, at::kFloat), &cache));
  EXPECT_LT(max_diff(first, full.narrow(1, 0, 3)), 1e-5);
  for (int64_t t = 3; t < 7; ++t) {
    auto km = mask.narrow(1, 0, t + 1);
    auto out = m.logits(m.forward(ids.narrow(1, t, 1), at::full({1, 1}, t, at::kLong),
                                  make_attention_bias(km, 1, at::kFloat), &cache));
    EXPECT_LT(max_diff(out.select(1, 0), full.select(1, t)), 1e-5) << t;
  }
  EXPECT_EQ(cache.length, 7);
}

// Left padding changes nothing for the real tokens.
TEST(Qwen2Layers, LeftPaddingIsInvisible) {
  c10::InferenceMode guard;
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 8);
  auto ids = at::tensor(std::vector<int64_t>{3, 14, 15, 9}).view({1, 4});
  auto ones = at::ones({1, 4}, at::kLong);
  auto alone = m.logits(m.forward(ids, positions_from_mask(ones), make_attention_bias(ones, 4, at::kFloat), nullptr));
  auto padded = at::cat({at::full({1, 3}, 0, at::kLong), ids}, 1);
  auto mask = at::cat({at::zeros({1, 3}, at::kLong), ones}, 1);
  auto out = m.logits(m.forward(padded, positions_from_mask(mask), make_attention_bias(mask, 7, at::kFloat), nullptr));
  EXPECT_LT(max_diff(out.narrow(1, 3, 4), alone), 1e-5);
}

TEST(Qwen2Layers, NamedTensorsAreViewsOfTheParameters) {
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 9);
  auto named = m.named_tensors();
  ASSERT_EQ(named.size(), 1 + 2 * 12 + 1 + 1u);
  EXPECT_EQ(named.front().first, "model.embed_tokens.weight");
  EXPECT_EQ(named.back().first, "lm_head.weight");
  int64_t total = 0;
  for (const auto& [n, t] : named) total += t.numel();
  EXPECT_EQ(total, test::tiny_config().num_parameters());
  int64_t leaves = 0;
  for (const auto& t : m.parameters()) leaves += t.numel();
  EXPECT_EQ(leaves, total);
  // Writing through the q_proj view changes the fused matrix.
  at::NoGradGuard no_grad;
  for (auto& [n, t] : named)
    if (n == "model.layers.1.self_attn.k_proj.bias") t.fill_(42);
  auto fused_bias = m.parameters()[1 + 7 + 2];  // layer 1: input_norm, qkv_weight, qkv_bias
  EXPECT_EQ(fused_bias[32].item<float>(), 42);   // q has 4 heads * 8 = 32 rows, k starts after
  EXPECT_EQ(fused_bias[31].item<float>(), 0);
  Qwen2Model tied(test::tiny_config(true), at::TensorOptions().dtype(at::kFloat), 9);
  EXPECT_EQ(tied.named_tensors().size(), named.size() - 1);
}

TEST(Qwen2Layers, SameSeedSameModel) {
  Qwen2Model a(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 5);
  Qwen2Model b(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 5);
  Qwen2Model c(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 6);
  EXPECT_TRUE(at::equal(a.parameters()[2], b.parameters()[2]));  // qkv_weight
  EXPECT_FALSE(at::equal(a.parameters()[2], c.parameters()[2]));
}

TEST(Qwen2Layers, PackedLinearMatchesLinear) {
  if (!PackedLinear::available()) GTEST_SKIP() << "no oneDNN in this libtorch";
  at::manual_seed(4);
  auto w = at::randn({40, 24});
  auto b = at::randn({40});
  PackedLinear with_bias(w, b), without(w, {});
  // Weights of a bf16 checkpoint (bf16 values widened): a few rows read the bf16 copy.
  auto w16 = w.to(at::kBFloat16).to(at::kFloat);
  PackedLinear from_bf16(w16, b);
  for (int64_t rows : {1, 3, 17}) {
    auto x = at::randn({rows, 24});
    EXPECT_LT(max_diff(with_bias(x), at::linear(x, w, b)), 1e-4) << rows;
    EXPECT_LT(max_diff(without(x), at::linear(x, w)), 1e-4) << rows;
    EXPECT_LT(max_diff(from_bf16(x), at::linear(x, w16, b)), 1e-4) << rows;
  }
  auto x3 = at::randn({2, 5, 24});
  auto y3 = with_bias(x3);
  EXPECT_EQ(y3.sizes(), (std::vector<int64_t>{2, 5, 40}));
  EXPECT_LT(max_diff(y3, at::linear(x3, w, b)), 1e-4);
}

// CPU inference through oneDNN-packed weights equals the plain path, and follows in-place weight
// updates (an optimizer step) by repacking.
TEST(Qwen2Layers, PackedForwardMatchesPlainAndFollowsWeightChanges) {
  if (!PackedLinear::available()) GTEST_SKIP() << "no oneDNN in this libtorch";
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 10);
  auto ids = at::tensor(std::vector<int64_t>{3, 14, 15, 9, 26}).view({1, 5});
  auto mask = at::ones({1, 5}, at::kLong);
  auto run = [&](bool packing) {
    c10::InferenceMode guard;
    m.set_cpu_packing(packing);
    return m.logits(m.forward(ids, positions_from_mask(mask), make_attention_bias(mask, 5, at::kFloat), nullptr));
  };
  auto packed = run(true), plain = run(false);
  EXPECT_LT(max_diff(packed, plain), 1e-4);
  {
    at::NoGradGuard no_grad;
    m.parameters()[2].mul_(1.5);  // layer 0's qkv_weight
  }
  auto packed2 = run(true), plain2 = run(false);
  EXPECT_LT(max_diff(packed2, plain2), 1e-4);
  EXPECT_GT(max_diff(packed2, packed), 1e-3);
}

// What the trainer relies on: with autograd on, the forward pass (no cache) builds a graph that reaches
// every parameter, and the in-place shortcuts of inference are off.
TEST(Qwen2Layers, GradientsReachEveryParameter) {
  for (bool tied : {false, true}) {
    Qwen2Model m(test::tiny_config(tied), at::TensorOptions().dtype(at::kFloat), 11);
    for (auto& p : m.parameters()) p.set_requires_grad(true);
    auto ids = at::tensor(std::vector<int64_t>{0, 3, 14, 15, 9}).view({1, 5});
    auto mask = at::tensor(std::vector<int64_t>{0, 1, 1, 1, 1}).view({1, 5});
    auto logits = m.logits(m.forward(ids, positions_from_mask(mask), make_attention_bias(mask, 5, at::kFloat), nullptr));
    at::log_softmax(logits, -1).select(-1, 7).sum().backward();
    for (const auto& p : m.parameters()) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0) << p.sizes();
    }
  }
}

}  // namespace
}  // namespace cr1::model
