#include "model/language_model.h"

#include <stdexcept>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include "model/checkpoint.h"
#include "model/generation.h"
#include "model/prefix_cache.h"
#include "model/qwen2_model.h"

namespace cr1::model {

namespace {

Expected<at::Device> parse_device(const std::string& name) {
  try {
    at::Device d(name);
    if (d.is_cuda() && !at::hasCUDA())
      return make_error(ErrorKind::invalid_input, fmt::format("device '{}': this libtorch has no CUDA", name));
    return d;
  } catch (const c10::Error&) {
    return make_error(ErrorKind::invalid_input, fmt::format("unknown device '{}' (expected cpu, cuda or cuda:N)", name));
  }
}

Error torch_error(const std::string& what, const c10::Error& e) {
  return make_error(ErrorKind::internal, what + ": torch: " + e.what_without_backtrace());
}

}  // namespace

LanguageModel::LanguageModel(std::unique_ptr<Qwen2Model> net) : net_(std::move(net)) {}
LanguageModel::LanguageModel(LanguageModel&&) noexcept = default;
LanguageModel& LanguageModel::operator=(LanguageModel&&) noexcept = default;
LanguageModel::~LanguageModel() = default;

Expected<LanguageModel> LanguageModel::load(const std::filesystem::path& dir, const RuntimeOptions& options) {
  auto device = parse_device(options.device);
  if (!device) return device.error();
  if (options.num_threads > 0) at::set_num_threads(options.num_threads);
  std::optional<at::ScalarType> dtype;
  if (options.dtype) dtype = to_scalar_type(*options.dtype);
  else if (device->is_cpu()) dtype = at::kFloat;
  auto net = load_qwen2(dir, *device, dtype);
  if (!net) return net.error();
  net->set_cpu_packing(options.cpu_onednn);
  net->set_cpu_attention(options.cpu_attention);
  if (options.max_positions > 0) net->set_max_positions(options.max_positions);
  LanguageModel lm(std::make_unique<Qwen2Model>(std::move(*net)));
  lm.set_prefix_cache(options.prefix_cache_bytes);
  return lm;
}

Expected<LanguageModel> LanguageModel::create(const ModelConfig& config, uint64_t seed, const RuntimeOptions& options) {
  if (auto st = config.validate(); !st) return st.error();
  auto device = parse_device(options.device);
  if (!device) return device.error();
  if (options.num_threads > 0) at::set_num_threads(options.num_threads);
  auto dtype = to_scalar_type(options.dtype.value_or(WeightDType::f32));
  try {
    auto net = std::make_unique<Qwen2Model>(config, at::TensorOptions().device(*device).dtype(dtype), seed);
    net->set_cpu_packing(options.cpu_onednn);
    net->set_cpu_attention(options.cpu_attention);
    if (options.max_positions > 0) net->set_max_positions(options.max_positions);
    LanguageModel lm(std::move(net));
    lm.set_prefix_cache(options.prefix_cache_bytes);
    return lm;
  } catch (const c10::Error& e) {
    return torch_error("creating a model", e);
  }
}

Status LanguageModel::save(const std::filesystem::path& dir, const SaveOptions& options) const {
  return save_qwen2(*net_, dir, options.dtype, options.max_shard_bytes);
}

const ModelConfig& LanguageModel::config() const { return net_->config(); }

Expected<std::vector<GenerationResult>> LanguageModel::generate(const std::vector<std::vector<TokenId>>& prompts,
                                                                const GenerationOptions& options,
                                                                const DecodeFn& decode) const {
  try {
    return model::generate(*net_, prompts, options, decode, prefix_.get());
  } catch (const std::invalid_argument& e) {
    return make_error(ErrorKind::invalid_input, std::string("generate: ") + e.what());
  } catch (const c10::Error& e) {
    return torch_error("generate", e);
  }
}

Expected<std::vector<GenerationResult>> LanguageModel::generate_rows(const std::vector<std::vector<TokenId>>& prompts,
                                                                     const std::vector<GenerationOptions>& options,
                                                                     const DecodeFn& decode) const {
  try {
    return model::generate_rows(*net_, prompts, options, decode, prefix_.get());
  } catch (const std::invalid_argument& e) {
    return make_error(ErrorKind::invalid_input, std::string("generate: ") + e.what());
  } catch (const c10::Error& e) {
    return torch_error("generate", e);
  }
}

void LanguageModel::set_prefix_cache(size_t max_bytes) {
  prefix_ = max_bytes > 0 ? std::make_shared<PrefixCache>(max_bytes) : nullptr;
}

Status LanguageModel::pin_prefix(std::span<const TokenId> tokens) const {
  if (!prefix_ || tokens.empty()) return ok_status();
  if (static_cast<int64_t>(tokens.size()) > config().max_position_embeddings)
    return make_error(ErrorKind::invalid_input, fmt::format("pin_prefix: {} tokens exceed max_position_embeddings {}",
                                                            tokens.size(), config().max_position_embeddings));
  for (TokenId t : tokens)
    if (t < 0 || t >= config().vocab_size)
      return make_error(ErrorKind::invalid_input, fmt::format("pin_prefix: token id {} outside the vocabulary", t));
  try {
    prefix_->pin(*net_, tokens);
    return ok_status();
  } catch (const c10::Error& e) {
    return torch_error("pin_prefix", e);
  }
}

void LanguageModel::clear_prefix_cache() const {
  if (prefix_) prefix_->clear_unpinned();
}

PrefixCacheStats LanguageModel::prefix_cache_stats() const {
  PrefixCacheStats s;
  if (prefix_) prefix_->fill(s);
  return s;
}

Expected<std::vector<float>> LanguageModel::logits(std::span<const TokenId> tokens) const {
  if (tokens.empty()) return make_error(ErrorKind::invalid_input, "logits: empty token sequence");
  const int64_t T = static_cast<int64_t>(tokens.size());
  if (T > config().max_position_embeddings)
    return make_error(ErrorKind::invalid_input, fmt::format("logits: {} tokens exceed max_position_embeddings {}", T,
                                                            config().max_position_embeddings));
  for (TokenId t : tokens)
    if (t < 0 || t >= config().vocab_size)
      return make_error(ErrorKind::invalid_input, fmt::format("logits: token id {} outside the vocabulary", t));
  try {
    c10::InferenceMode guard;
    const auto device = net_->options().device();
    std::vector<int64_t> ids(tokens.begin(), tokens.end());
    auto input = at::tensor(ids, at::kLong).view({1, T}).to(device);
    auto mask = at::ones({1, T}, at::TensorOptions().dtype(at::kLong).device(device));
    auto hidden = net_->forward(input, positions_from_mask(mask),
                                make_attention_bias(mask, T, net_->options().dtype().toScalarType()), nullptr);
    auto out = net_->logits(hidden).to(at::kCPU, at::kFloat).contiguous();
    const float* p = out.data_ptr<float>();
    return std::vector<float>(p, p + out.numel());
  } catch (const c10::Error& e) {
    return torch_error("logits", e);
  }
}

}  // namespace cr1::model
