#include "model/checkpoint.h"

#include <gtest/gtest.h>

#include "model/safetensors_checkpoint.h"
#include "model_test_helpers.h"
#include "util/atomic_file.h"

namespace cr1::model {
namespace {

bool same_weights(const Qwen2Model& a, const Qwen2Model& b, double tol) {
  auto na = a.named_tensors(), nb = b.named_tensors();
  if (na.size() != nb.size()) return false;
  for (size_t i = 0; i < na.size(); ++i) {
    if (na[i].first != nb[i].first) return false;
    double d = (na[i].second.to(at::kFloat) - nb[i].second.to(at::kFloat)).abs().max().item<double>();
    if (d > tol) return false;
  }
  return true;
}

TEST(Checkpoint, F32RoundTripIsExact) {
  test::ScratchDir dir;
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 1);
  ASSERT_TRUE(save_qwen2(m, dir.path, WeightDType::f32));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "model.safetensors"));
  auto config = ModelConfig::load(dir.path / "config.json");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->to_json()["architectures"][0], "Qwen2ForCausalLM");
  auto back = load_qwen2(dir.path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->options().dtype().toScalarType(), at::kFloat);
  EXPECT_TRUE(same_weights(m, *back, 0.0));
}

TEST(Checkpoint, HalfPrecisionRoundTrips) {
  for (auto [wd, st, tol] : {std::tuple{WeightDType::bf16, at::kBFloat16, 1e-3},
                             std::tuple{WeightDType::f16, at::kHalf, 1e-4}}) {
    test::ScratchDir dir;
    Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 2);
    ASSERT_TRUE(save_qwen2(m, dir.path, wd));
    auto f = SafetensorsFile::open(dir.path / "model.safetensors");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->tensors()[0].dtype, wd == WeightDType::bf16 ? StDType::bf16 : StDType::f16);
    auto back = load_qwen2(dir.path);  // in the stored dtype
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->options().dtype().toScalarType(), st);
    EXPECT_TRUE(same_weights(m, *back, tol)) << weight_dtype_name(wd);
    auto as_f32 = load_qwen2(dir.path, at::kCPU, at::kFloat);  // converted on load
    ASSERT_TRUE(as_f32);
    EXPECT_EQ(as_f32->options().dtype().toScalarType(), at::kFloat);
    EXPECT_TRUE(same_weights(*back, *as_f32, 0.0));
  }
}

TEST(Checkpoint, ShardedAndTiedRoundTrip) {
  test::ScratchDir dir;
  Qwen2Model m(test::tiny_config(true), at::TensorOptions().dtype(at::kFloat), 3);
  ASSERT_TRUE(save_qwen2(m, dir.path, WeightDType::f32, 8000));
  EXPECT_TRUE(std::filesystem::exists(dir.path / kWeightsIndexFile));
  auto ckpt = SafetensorsCheckpoint::open(dir.path);
  ASSERT_TRUE(ckpt);
  EXPECT_GT(ckpt->num_files(), 2u);
  EXPECT_EQ(ckpt->find("lm_head.weight"), nullptr);  // tied: HF omits it
  auto back = load_qwen2(dir.path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->config().tie_word_embeddings);
  EXPECT_TRUE(same_weights(m, *back, 0.0));
}

TEST(Checkpoint, LoadsHuggingFaceDirectories) {
  for (const char* name : {"qwen2-tiny", "qwen2-tiny-tied", "qwen2-tiny-sharded"}) {
    auto m = load_qwen2(test::fixture_dir(name));
    ASSERT_TRUE(m) << name << ": " << m.error().message;
    EXPECT_EQ(m->config().vocab_size, 978);
  }
  auto a = load_qwen2(test::fixture_dir("qwen2-tiny"));
  auto b = load_qwen2(test::fixture_dir("qwen2-tiny-sharded"));
  EXPECT_TRUE(same_weights(*a, *b, 0.0));
}

TEST(Checkpoint, MismatchesAreErrorsThatNameTheTensor) {
  test::ScratchDir dir;
  Qwen2Model m(test::tiny_config(), at::TensorOptions().dtype(at::kFloat), 4);
  ASSERT_TRUE(save_qwen2(m, dir.path, WeightDType::f32));
  // The config says 3 layers; the weights have 2.
  auto config = test::tiny_config();
  config.num_hidden_layers = 3;
  ASSERT_TRUE(config.save(dir.path / "config.json"));
  auto missing = load_qwen2(dir.path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no tensor 'model.layers.2."), std::string::npos) << missing.error().message;
  // A different width.
  config = test::tiny_config();
  config.intermediate_size = 40;
  ASSERT_TRUE(config.save(dir.path / "config.json"));
  auto shape = load_qwen2(dir.path);
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().message.find("has shape [48, 32], the config implies [40, 32]"), std::string::npos)
      << shape.error().message;
  // One layer fewer: an unexpected tensor.
  config = test::tiny_config();
  config.num_hidden_layers = 1;
  ASSERT_TRUE(config.save(dir.path / "config.json"));
  auto extra = load_qwen2(dir.path);
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("unexpected tensor 'model.layers.1."), std::string::npos);
  auto nowhere = load_qwen2(dir.path / "absent");
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace cr1::model
