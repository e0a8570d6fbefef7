#include "model/checkpoint.h"

#include <set>

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/safetensors_checkpoint.h"

namespace cr1::model {

namespace fs = std::filesystem;

at::ScalarType to_scalar_type(WeightDType d) {
  switch (d) {
    case WeightDType::f32: return at::kFloat;
    case WeightDType::bf16: return at::kBFloat16;
    case WeightDType::f16: return at::kHalf;
  }
  return at::kFloat;
}

namespace {

Expected<at::ScalarType> scalar_type_of(StDType d) {
  switch (d) {
    case StDType::f64: return at::kDouble;
    case StDType::f32: return at::kFloat;
    case StDType::f16: return at::kHalf;
    case StDType::bf16: return at::kBFloat16;
    default: return make_error(ErrorKind::invalid_input, fmt::format("{} weights are not supported", st_dtype_name(d)));
  }
}

StDType st_dtype_of(WeightDType d) {
  switch (d) {
    case WeightDType::f32: return StDType::f32;
    case WeightDType::bf16: return StDType::bf16;
    case WeightDType::f16: return StDType::f16;
  }
  return StDType::f32;
}

bool ignorable(const std::string& name, const ModelConfig& c) {
  return (c.tie_word_embeddings && name == "lm_head.weight") || name.ends_with("rotary_emb.inv_freq");
}

}  // namespace

Status load_weights(Qwen2Model& model, const fs::path& dir) {
  auto ckpt = SafetensorsCheckpoint::open(dir);
  if (!ckpt) return ckpt.error();
  std::set<std::string> expected;
  at::NoGradGuard no_grad;
  for (auto& [name, slot] : model.named_tensors()) {
    expected.insert(name);
    const TensorView* v = ckpt->find(name);
    if (!v) return make_error(ErrorKind::parse, fmt::format("{}: the checkpoint has no tensor '{}'", dir.string(), name));
    if (v->shape != slot.sizes().vec())
      return make_error(ErrorKind::parse,
                        fmt::format("{}: tensor '{}' has shape [{}], the config implies [{}]", dir.string(), name,
                                    fmt::join(v->shape, ", "), fmt::join(slot.sizes().vec(), ", ")));
    auto st = scalar_type_of(v->dtype);
    if (!st) return make_error(st.error().kind, fmt::format("{}: tensor '{}': {}", dir.string(), name, st.error().message));
    // The source is read-only mapped memory; copy_ only reads it (and converts dtype/device on the way).
    auto src = at::from_blob(const_cast<std::byte*>(v->data), v->shape, at::TensorOptions().dtype(*st));
    slot.copy_(src);
  }
  for (const auto& name : ckpt->names())
    if (!expected.count(name) && !ignorable(name, model.config()))
      return make_error(ErrorKind::parse,
                        fmt::format("{}: unexpected tensor '{}' (not part of a Qwen2 model with this config.json)",
                                    dir.string(), name));
  return ok_status();
}

Expected<Qwen2Model> load_qwen2(const fs::path& dir, at::Device device, std::optional<at::ScalarType> dtype) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return make_error(ErrorKind::not_found, fmt::format("{}: not a model directory", dir.string()));
  auto config = ModelConfig::load(dir / "config.json");
  if (!config) return config.error();
  auto options = at::TensorOptions().device(device).dtype(dtype.value_or(to_scalar_type(config->torch_dtype)));
  try {
    Qwen2Model model(*config, options, std::nullopt);
    if (auto st = load_weights(model, dir); !st) return st.error();
    return model;
  } catch (const c10::Error& e) {
    return make_error(ErrorKind::internal, fmt::format("{}: torch: {}", dir.string(), e.what_without_backtrace()));
  }
}

Status save_qwen2(const Qwen2Model& model, const fs::path& dir, WeightDType dtype, size_t max_shard_bytes) {
  std::vector<at::Tensor> keep;  // the converted tensors must outlive the write
  std::vector<TensorBytes> tensors;
  try {
    at::NoGradGuard no_grad;
    for (const auto& [name, t] : model.named_tensors()) {
      auto cpu = t.detach().to(at::kCPU, to_scalar_type(dtype)).contiguous();
      keep.push_back(cpu);
      tensors.push_back({name, st_dtype_of(dtype), cpu.sizes().vec(),
                         std::span<const std::byte>(static_cast<const std::byte*>(cpu.data_ptr()), cpu.nbytes())});
    }
  } catch (const c10::Error& e) {
    return make_error(ErrorKind::internal, fmt::format("{}: torch: {}", dir.string(), e.what_without_backtrace()));
  }
  if (auto st = write_safetensors_checkpoint(dir, tensors, max_shard_bytes); !st) return st;
  ModelConfig config = model.config();
  config.torch_dtype = dtype;
  return config.save(dir / "config.json");
}

}  // namespace cr1::model
