// The torch-free face of the model layer: a Qwen2-architecture causal LM that loads and saves HF
// checkpoints and generates token ids. Other layers (agent, serve, cli) include this header only; the
// libtorch types stay behind the pimpl.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/generation_options.h"
#include "model/model_config.h"
#include "util/expected.h"

namespace cr1::model {

class Qwen2Model;

struct RuntimeOptions {
  std::string device = "cpu";            // "cpu", "cuda", "cuda:1"
  // Compute dtype. Default: f32 on the CPU (half-precision matmuls are slow there, and oneDNN packing is
  // f32), the checkpoint's torch_dtype on CUDA; new models: f32.
  std::optional<WeightDType> dtype;
  int num_threads = 0;                   // >0: torch intra-op threads (process-wide setting)
  bool cpu_onednn = true;                // CPU f32 inference through oneDNN-packed weights (PackedLinear)
  // >0: rotary tables for this many positions, which become the config's max_position_embeddings
  // (Qwen2Model::set_max_positions): to run past the checkpoint's declared context.
  int64_t max_positions = 0;
};

struct SaveOptions {
  WeightDType dtype = WeightDType::f32;
  size_t max_shard_bytes = 0;  // 0: one model.safetensors
};

class LanguageModel {
 public:
  // An HF model directory (config.json + model.safetensors or a sharded index).
  static Expected<LanguageModel> load(const std::filesystem::path& dir, const RuntimeOptions& options = {});
  // A new model with HF's initialisation, from `seed`.
  static Expected<LanguageModel> create(const ModelConfig& config, uint64_t seed, const RuntimeOptions& options = {});

  // config.json + weights, loadable by transformers as Qwen2ForCausalLM.
  Status save(const std::filesystem::path& dir, const SaveOptions& options = {}) const;

  const ModelConfig& config() const;

  // Generates a continuation of each prompt (batched, left-padded). Stop strings need `decode`.
  Expected<std::vector<GenerationResult>> generate(const std::vector<std::vector<TokenId>>& prompts,
                                                   const GenerationOptions& options,
                                                   const DecodeFn& decode = {}) const;
  // Each prompt with its own options (seed, sampling, limits, stops): a row's tokens do not depend on
  // the other rows of the batch (model/generation.h, generate_rows). What model/batched_generator.h
  // uses to merge independent requests into one batch.
  Expected<std::vector<GenerationResult>> generate_rows(const std::vector<std::vector<TokenId>>& prompts,
                                                        const std::vector<GenerationOptions>& options,
                                                        const DecodeFn& decode = {}) const;

  // Next-token logits at every position of one sequence: tokens.size() rows of vocab_size floats.
  Expected<std::vector<float>> logits(std::span<const TokenId> tokens) const;

  // For model/ and train/ code that works on tensors.
  Qwen2Model& network() { return *net_; }
  const Qwen2Model& network() const { return *net_; }

  LanguageModel(LanguageModel&&) noexcept;
  LanguageModel& operator=(LanguageModel&&) noexcept;
  ~LanguageModel();

 private:
  explicit LanguageModel(std::unique_ptr<Qwen2Model> net);
  std::unique_ptr<Qwen2Model> net_;
};

}  // namespace cr1::model
