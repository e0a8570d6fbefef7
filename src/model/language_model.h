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
class PrefixCache;

struct RuntimeOptions {
  std::string device = "cpu";            // "cpu", "cuda", "cuda:1"
  // Compute dtype. Default: f32 on the CPU (half-precision matmuls are slow there, and oneDNN packing is
  // f32), the checkpoint's torch_dtype on CUDA; new models: f32.
  std::optional<WeightDType> dtype;
  int num_threads = 0;                   // >0: torch intra-op threads (process-wide setting)
  bool cpu_onednn = true;                // CPU f32 inference through oneDNN-packed weights (PackedLinear)
  bool cpu_attention = true;             // CPU f32 inference attention written out (model/cpu_attention.h), not BLAS
  // >0: rotary tables for this many positions, which become the config's max_position_embeddings
  // (Qwen2Model::set_max_positions): to run past the checkpoint's declared context.
  int64_t max_positions = 0;
  // >0: keep the keys/values of the sequences generated, up to this many bytes, and start each prompt
  // from the longest cached prefix (model/prefix_cache.h): a conversation's next turn prefills only its
  // new tokens. 0: every prompt is prefilled whole.
  size_t prefix_cache_bytes = 0;
};

// What the prefix cache holds and saved (all zero when it is off).
struct PrefixCacheStats {
  bool enabled = false;
  size_t max_bytes = 0, bytes = 0, entries = 0, pinned = 0;
  uint64_t lookups = 0;          // prompts looked up
  uint64_t hits = 0;             // ... that started from a cached prefix
  uint64_t takes = 0;            // ... whose cache was extended in place (no copy)
  uint64_t reused_tokens = 0;    // prompt tokens not prefilled thanks to the cache
  uint64_t prefilled_tokens = 0; // prompt tokens run through the model (pinned prefixes included)
  uint64_t evictions = 0;
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

  // The prefix cache: on with a budget of `max_bytes`, off (and emptied) with 0. Not while generating.
  void set_prefix_cache(size_t max_bytes);
  // Prefills `tokens` once and keeps their keys/values for every later prompt that starts with them
  // (e.g. a system prompt with tool schemas shared by all conversations). Nothing when the cache is off.
  Status pin_prefix(std::span<const TokenId> tokens) const;
  PrefixCacheStats prefix_cache_stats() const;
  // Drops what the prefix cache holds but the pinned prefixes (e.g. so a benchmark's episode starts cold
  // but for the system prompt).
  void clear_prefix_cache() const;

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
  std::shared_ptr<PrefixCache> prefix_;  // null when off; shared_ptr: no ~PrefixCache in this header
};

}  // namespace cr1::model
