#include "model/model_config.h"

#include <gtest/gtest.h>

#include "model_test_helpers.h"
#include "util/atomic_file.h"

namespace cr1::model {
namespace {

using nlohmann::json;

TEST(ModelConfig, ReadsTransformers5Form) {
  auto c = ModelConfig::load(test::fixture_dir("qwen2-tiny") / "config.json");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->vocab_size, 978);
  EXPECT_EQ(c->hidden_size, 64);
  EXPECT_EQ(c->num_hidden_layers, 2);
  EXPECT_EQ(c->num_attention_heads, 4);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_EQ(c->head_dim(), 16);
  EXPECT_DOUBLE_EQ(c->rope_theta, 1000000.0);  // from rope_parameters
  EXPECT_DOUBLE_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->torch_dtype, WeightDType::f32);  // from "dtype"
  EXPECT_EQ(c->eos_token_ids, std::vector<int64_t>{969});
  EXPECT_EQ(c->pad_token_id, 967);
  EXPECT_EQ(c->extra["initializer_range"], 0.02);
}

TEST(ModelConfig, ReadsTransformers4FormAndEosList) {
  json j = {{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"}, {"vocab_size", 100},
            {"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 1},
            {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"rope_theta", 500.0},
            {"torch_dtype", "bfloat16"}, {"tie_word_embeddings", true}, {"eos_token_id", {5, 6}},
            {"rope_scaling", nullptr}, {"sliding_window", 4096}, {"use_sliding_window", false}};
  auto c = ModelConfig::from_json(j);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_DOUBLE_EQ(c->rope_theta, 500.0);
  EXPECT_EQ(c->torch_dtype, WeightDType::bf16);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int64_t>{5, 6}));
}

TEST(ModelConfig, RoundTripKeepsEverything) {
  auto c = ModelConfig::load(test::fixture_dir("qwen2-tiny") / "config.json");
  ASSERT_TRUE(c);
  json out = c->to_json();
  EXPECT_EQ(out["architectures"], json({"Qwen2ForCausalLM"}));
  EXPECT_EQ(out["model_type"], "qwen2");
  EXPECT_EQ(out["torch_dtype"], "float32");
  EXPECT_EQ(out["rope_theta"], 1000000.0);
  EXPECT_EQ(out["transformers_version"], "5.17.0");  // an unknown key survives
  auto again = ModelConfig::from_json(out);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->to_json(), out);
}

TEST(ModelConfig, RefusesWhatItDoesNotImplement) {
  json base = {{"vocab_size", 100}, {"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 1},
               {"num_attention_heads", 4}};
  EXPECT_TRUE(ModelConfig::from_json(base));
  auto with = [&](const char* key, json value) {
    json j = base;
    j[key] = value;
    auto c = ModelConfig::from_json(j);
    return c ? std::string() : c.error().message;
  };
  EXPECT_NE(with("model_type", "llama").find("model_type 'llama'"), std::string::npos);
  EXPECT_NE(with("use_sliding_window", true).find("use_sliding_window"), std::string::npos);
  EXPECT_NE(with("rope_scaling", {{"type", "yarn"}, {"factor", 4}}).find("rope_scaling"), std::string::npos);
  EXPECT_NE(with("hidden_act", "gelu").find("gelu"), std::string::npos);
  EXPECT_NE(with("layer_types", {"full_attention", "sliding_attention"}).find("sliding_attention"), std::string::npos);
  EXPECT_NE(with("num_key_value_heads", 3).find("not a multiple"), std::string::npos);
  EXPECT_NE(with("hidden_size", "big").find("wrong type"), std::string::npos);
  EXPECT_NE(with("torch_dtype", "int8").find("unknown dtype"), std::string::npos);
  json missing = base;
  missing.erase("vocab_size");
  auto c = ModelConfig::from_json(missing);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("missing 'vocab_size'"), std::string::npos);
}

TEST(ModelConfig, LoadErrorsNameTheFile) {
  test::ScratchDir dir;
  auto missing = ModelConfig::load(dir.path / "config.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  ASSERT_TRUE(write_file_atomically(dir.path / "config.json", "{not json"));
  auto bad = ModelConfig::load(dir.path / "config.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("config.json: not valid JSON"), std::string::npos);
}

TEST(ModelConfig, ParameterCountMatchesTheFixture) {
  auto c = ModelConfig::load(test::fixture_dir("qwen2-tiny") / "config.json");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->num_parameters(), 217920);  // metadata.total_parameters of the sharded index
}

}  // namespace
}  // namespace cr1::model
