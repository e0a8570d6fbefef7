#include "model/sampling.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

namespace cr1::model {
namespace {

at::Tensor row(std::vector<float> v) { return at::tensor(v).view({1, -1}); }

TEST(Sampling, RepetitionPenaltyFollowsHf) {
  auto logits = row({2.0f, -2.0f, 1.0f, -1.0f});
  auto seen = at::tensor(std::vector<int64_t>{1, 1, 0, 0}).to(at::kBool).view({1, 4});
  apply_repetition_penalty(logits, seen, 2.0);
  // Seen positive: divided; seen negative: multiplied; unseen: unchanged.
  EXPECT_TRUE(at::allclose(logits, row({1.0f, -4.0f, 1.0f, -1.0f}))) << logits;
}

TEST(Sampling, TemperatureTopKTopP) {
  auto logits = row({1.0f, 3.0f, 2.0f, 0.0f});
  apply_temperature(logits, 0.5);
  EXPECT_TRUE(at::allclose(logits, row({2.0f, 6.0f, 4.0f, 0.0f})));
  auto k = row({1.0f, 3.0f, 2.0f, 0.0f});
  apply_top_k(k, 2);
  EXPECT_TRUE(at::isinf(k).equal(row({1, 0, 0, 1}).to(at::kBool))) << k;
  // Probabilities 0.6, 0.25, 0.1, 0.05 (log-space logits): top-p 0.8 keeps 0.6 and 0.25.
  auto p = row({0.6f, 0.25f, 0.1f, 0.05f}).log();
  apply_top_p(p, 0.8);
  EXPECT_TRUE(at::isinf(p).equal(row({0, 0, 1, 1}).to(at::kBool))) << p;
  // A tiny top-p still keeps the most likely token.
  auto q = row({0.6f, 0.25f, 0.1f, 0.05f}).log();
  apply_top_p(q, 0.01);
  EXPECT_TRUE(at::isinf(q).equal(row({0, 1, 1, 1}).to(at::kBool))) << q;
}

TEST(Sampling, GreedyAndSeededDraws) {
  auto logits = at::randn({4, 50}, at::make_generator<at::CPUGeneratorImpl>(3));
  SamplingOptions greedy;
  greedy.greedy = true;
  auto g = make_seeded_generator(at::kCPU, 1);
  EXPECT_TRUE(at::equal(sample_tokens(logits, {}, greedy, g), logits.argmax(-1)));
  SamplingOptions s;
  s.temperature = 0.8;
  s.top_k = 20;
  s.top_p = 0.9;
  auto draw = [&](uint64_t seed) {
    auto gen = make_seeded_generator(at::kCPU, seed);
    std::vector<at::Tensor> out;
    for (int i = 0; i < 5; ++i) out.push_back(sample_tokens(logits, {}, s, gen));
    return at::stack(out);
  };
  EXPECT_TRUE(at::equal(draw(7), draw(7)));
  EXPECT_FALSE(at::equal(draw(7), draw(8)));
  // Draws respect top-k: never outside the 20 largest logits of the row.
  auto kth = std::get<0>(logits.topk(20, -1)).select(-1, 19);
  auto picks = draw(9);
  for (int i = 0; i < 5; ++i)
    for (int b = 0; b < 4; ++b) EXPECT_GE(logits[b][picks[i][b].item<int64_t>()].item<float>(), kth[b].item<float>());
}

TEST(Sampling, DrawsFollowTheDistribution) {
  // Two tokens with probabilities 0.8 / 0.2: about 800 of 1000 draws pick the first.
  auto logits = row({std::log(0.8f), std::log(0.2f)}).expand({1000, 2}).contiguous();
  SamplingOptions s;
  auto gen = make_seeded_generator(at::kCPU, 11);
  auto picks = sample_tokens(logits, {}, s, gen);
  int64_t first = (picks == 0).sum().item<int64_t>();
  EXPECT_GT(first, 750);
  EXPECT_LT(first, 850);
}

// The written-out row sampler keeps exactly what the tensor chain keeps: over many draws, every token
// drawn survives apply_top_k + apply_top_p, and every survivor is drawn sometimes; greedy is the
// penalized argmax; one random64 per draw, so the stream after it does not depend on the logits.
TEST(Sampling, TheCpuRowSamplerDrawsFromTheChainsSurvivors) {
  auto gen0 = at::make_generator<at::CPUGeneratorImpl>(5);
  for (double p : {1.0, 0.9, 0.5}) {
    auto logits = at::randn({1, 64}, gen0).mul_(2);
    auto seen = at::zeros({1, 64}, at::kBool);
    seen.narrow(1, 0, 10).fill_(true);
    SamplingOptions s{.temperature = 0.7, .top_k = 12, .top_p = p, .repetition_penalty = 1.3};
    auto kept = logits.clone();
    apply_repetition_penalty(kept, seen, s.repetition_penalty);
    apply_temperature(kept, s.temperature);
    apply_top_k(kept, s.top_k);
    apply_top_p(kept, s.top_p);
    auto survivors = at::isfinite(kept)[0];
    auto gen = make_seeded_generator(at::kCPU, 3);
    std::vector<int> drawn(64, 0);
    for (int i = 0; i < 4000; ++i)
      ++drawn[sample_row_cpu(logits.data_ptr<float>(), 64, seen.data_ptr<bool>(), s, &gen)];
    for (int v = 0; v < 64; ++v) {
      if (!survivors[v].item<bool>()) EXPECT_EQ(drawn[v], 0) << "p " << p << " token " << v;
      else EXPECT_GT(drawn[v], 0) << "p " << p << " token " << v;
    }
    SamplingOptions greedy = s;
    greedy.greedy = true;
    auto penalized = logits.clone();
    apply_repetition_penalty(penalized, seen, s.repetition_penalty);
    EXPECT_EQ(sample_row_cpu(logits.data_ptr<float>(), 64, seen.data_ptr<bool>(), greedy, nullptr),
              penalized.argmax(-1).item<int64_t>());
  }
  // One draw per call: two different rows leave the generator in the same state.
  auto a = make_seeded_generator(at::kCPU, 9), b = make_seeded_generator(at::kCPU, 9);
  auto l1 = at::randn({1, 50}), l2 = at::randn({1, 50});
  SamplingOptions s{.temperature = 1.0, .top_k = 0, .top_p = 1.0};
  sample_row_cpu(l1.data_ptr<float>(), 50, nullptr, s, &a);
  sample_row_cpu(l2.data_ptr<float>(), 50, nullptr, s, &b);
  EXPECT_EQ(sample_row_cpu(l1.data_ptr<float>(), 50, nullptr, s, &a), sample_row_cpu(l1.data_ptr<float>(), 50, nullptr, s, &b));
}

}  // namespace
}  // namespace cr1::model
