// The hyper-parameters of a Qwen2-architecture decoder, read from and written to a Hugging Face
// config.json (model_type "qwen2"). Torch-free: other layers may include it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/expected.h"

namespace cr1::model {

// Storage dtypes of a checkpoint (safetensors "F32", "BF16", "F16"; config.json "float32", ...).
enum class WeightDType { f32, bf16, f16 };

const char* weight_dtype_name(WeightDType d);  // "float32", "bfloat16", "float16" (config.json spelling)
Expected<WeightDType> parse_weight_dtype(const std::string& name);  // also accepts f32/bf16/f16

struct ModelConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t max_position_embeddings = 32768;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  WeightDType torch_dtype = WeightDType::f32;
  int64_t bos_token_id = -1;                // -1: none
  std::vector<int64_t> eos_token_ids;       // config.json allows one id or a list
  int64_t pad_token_id = -1;

  // Keys we do not interpret (initializer_range, transformers_version, ...), kept so that a
  // load/save round trip does not lose them.
  nlohmann::json extra = nlohmann::json::object();

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  int64_t num_parameters() const;

  // Checks the shapes agree (heads divide hidden, KV heads divide heads, head_dim even for rotary).
  Status validate() const;

  // Reads both the transformers 4.x form (rope_theta, torch_dtype at top level; what Qwen2.5 ships)
  // and the 5.x form (rope_parameters.rope_theta, dtype). Refuses what we do not implement
  // (another model_type, rope scaling, sliding-window attention, an activation other than silu).
  static Expected<ModelConfig> from_json(const nlohmann::json& j);
  static Expected<ModelConfig> load(const std::filesystem::path& config_json);

  // The 4.x form, which transformers 4.x and 5.x both read; architectures ["Qwen2ForCausalLM"].
  nlohmann::json to_json() const;
  Status save(const std::filesystem::path& config_json) const;
};

}  // namespace cr1::model
