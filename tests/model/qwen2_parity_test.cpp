// Parity with Hugging Face transformers on the fixtures of tests/fixtures/ (made by
// scripts/make_parity_fixtures.py): logits of a left-padded batch and greedy continuations.
#include <fstream>

#include <gtest/gtest.h>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/generation.h"
#include "model/safetensors.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

at::Tensor fixture_tensor(const SafetensorsFile& f, const std::string& name) {
  const TensorView* v = f.find(name);
  if (!v) throw std::runtime_error("fixture tensor missing: " + name);
  at::ScalarType t = v->dtype == StDType::i64 ? at::kLong : at::kFloat;
  return at::from_blob(const_cast<std::byte*>(v->data), v->shape, at::TensorOptions().dtype(t)).clone();
}

nlohmann::json fixture_json(const std::string& name) {
  std::ifstream in(test::fixture_dir(name) / "fixtures.json");
  return nlohmann::json::parse(in);
}

class Qwen2Parity : public ::testing::TestWithParam<const char*> {};

TEST_P(Qwen2Parity, LogitsMatchTransformers) {
  c10::InferenceMode guard;
  auto model = load_qwen2(test::fixture_dir(GetParam()), at::kCPU, at::kFloat);
  ASSERT_TRUE(model) << model.error().message;
  auto f = SafetensorsFile::open(test::fixture_dir(GetParam()) / "fixtures.safetensors");
  ASSERT_TRUE(f) << f.error().message;
  auto ids = fixture_tensor(*f, "input_ids");
  auto mask = fixture_tensor(*f, "attention_mask");
  auto expect = fixture_tensor(*f, "logits");
  EXPECT_TRUE(at::equal(positions_from_mask(mask), fixture_tensor(*f, "position_ids")));
  // Both matrix-product paths: oneDNN-packed weights (the CPU default) and at::linear.
  for (bool packing : {true, false}) {
    model->set_cpu_packing(packing);
    auto logits = model->logits(
        model->forward(ids, positions_from_mask(mask), make_attention_bias(mask, ids.size(1), at::kFloat), nullptr));
    ASSERT_EQ(logits.sizes(), expect.sizes());
    auto real = mask.to(at::kBool).unsqueeze(-1).expand_as(expect);
    double diff = (logits - expect).abs().masked_select(real).max().item<double>();
    std::cout << GetParam() << (packing ? " (packed)" : " (at::linear)") << ": max |logit diff| over real tokens = "
              << diff << "\n";
    EXPECT_LT(diff, 1e-4);
  }
}

TEST_P(Qwen2Parity, GreedyContinuationsMatchTransformers) {
  auto model = load_qwen2(test::fixture_dir(GetParam()), at::kCPU, at::kFloat);
  ASSERT_TRUE(model) << model.error().message;
  auto fixtures = fixture_json(GetParam());
  int checked = 0;
  for (const auto& c : fixtures["greedy"]) {
    GenerationOptions o;
    o.sampling.greedy = true;
    o.sampling.repetition_penalty = c["repetition_penalty"].get<double>();
    o.max_new_tokens = c["max_new_tokens"].get<int64_t>();
    std::vector<std::vector<TokenId>> prompts;
    std::vector<std::vector<TokenId>> expect;
    if (c.contains("prompt_ids")) {
      prompts.push_back(c["prompt_ids"].get<std::vector<TokenId>>());
      expect.push_back(c["output_ids"].get<std::vector<TokenId>>());
    } else {
      prompts = c["batch_prompt_ids"].get<std::vector<std::vector<TokenId>>>();
      expect = c["output_ids"].get<std::vector<std::vector<TokenId>>>();
      o.pad_token_id = c["pad_token_id"].get<TokenId>();
    }
    auto out = generate(*model, prompts, o);
    ASSERT_EQ(out.size(), expect.size());
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].tokens, expect[i]) << GetParam() << " case " << checked << " row " << i;
      EXPECT_EQ(out[i].finish, FinishReason::length);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

// The same on the GPU (the GPU machine's build; skipped where libtorch has no CUDA): f32 logits within
// 1e-4 of transformers' (TF32 is off by default in libtorch), and the greedy batch identical.
TEST_P(Qwen2Parity, CudaMatchesTransformers) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA";
  c10::InferenceMode guard;
  auto model = load_qwen2(test::fixture_dir(GetParam()), at::Device("cuda"), at::kFloat);
  ASSERT_TRUE(model) << model.error().message;
  auto f = SafetensorsFile::open(test::fixture_dir(GetParam()) / "fixtures.safetensors");
  ASSERT_TRUE(f);
  auto ids = fixture_tensor(*f, "input_ids").cuda();
  auto mask = fixture_tensor(*f, "attention_mask").cuda();
  auto expect = fixture_tensor(*f, "logits");
  auto logits = model->logits(
      model->forward(ids, positions_from_mask(mask), make_attention_bias(mask, ids.size(1), at::kFloat), nullptr));
  auto real = mask.cpu().to(at::kBool).unsqueeze(-1).expand_as(expect);
  double diff = (logits.cpu() - expect).abs().masked_select(real).max().item<double>();
  std::cout << GetParam() << " (cuda): max |logit diff| over real tokens = " << diff << "\n";
  EXPECT_LT(diff, 1e-4);
  for (const auto& c : fixture_json(GetParam())["greedy"]) {
    if (!c.contains("batch_prompt_ids")) continue;
    GenerationOptions o;
    o.sampling.greedy = true;
    o.max_new_tokens = c["max_new_tokens"].get<int64_t>();
    o.pad_token_id = c["pad_token_id"].get<TokenId>();
    auto out = generate(*model, c["batch_prompt_ids"].get<std::vector<std::vector<TokenId>>>(), o);
    auto expect_ids = c["output_ids"].get<std::vector<std::vector<TokenId>>>();
    ASSERT_EQ(out.size(), expect_ids.size());
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].tokens, expect_ids[i]) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Qwen2Parity,
                         ::testing::Values("qwen2-tiny", "qwen2-tiny-tied", "qwen2-tiny-sharded"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

}  // namespace
}  // namespace cr1::model
