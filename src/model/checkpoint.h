// Loading and saving a Qwen2Model as an HF checkpoint directory: config.json plus model.safetensors or
// sharded model-*.safetensors with model.safetensors.index.json. Saved directories load in
// transformers as Qwen2ForCausalLM. Torch header: model/ and train/ only.
#pragma once

#include <filesystem>
#include <optional>

#include <ATen/ATen.h>

#include "model/qwen2_model.h"

namespace cr1::model {

at::ScalarType to_scalar_type(WeightDType d);

// Reads config.json and the weights (memory-mapped; each tensor is converted to `dtype` (default: the
// checkpoint's torch_dtype) and copied to `device` straight from the mapping). Every expected HF tensor
// must be present with its exact shape; unknown tensors are an error, except lm_head.weight of a tied
// model and rotary inv_freq buffers, which are ignored.
Expected<Qwen2Model> load_qwen2(const std::filesystem::path& dir, at::Device device = at::kCPU,
                                std::optional<at::ScalarType> dtype = std::nullopt);

// Copies the tensors of a checkpoint into `model` (same names and shapes); for load_qwen2 and tests.
Status load_weights(Qwen2Model& model, const std::filesystem::path& dir);

// Writes config.json (torch_dtype = `dtype`) and the weights in `dtype`, sharded when larger than
// `max_shard_bytes` (0: one file). The directory is created if needed.
Status save_qwen2(const Qwen2Model& model, const std::filesystem::path& dir, WeightDType dtype,
                  size_t max_shard_bytes = 0);

}  // namespace cr1::model
