// The Qwen2 decoder on ATen (the architecture of HF transformers' Qwen2ForCausalLM): token embedding,
// per layer RMSNorm -> grouped-query attention with rotary positions and q/k/v bias -> residual ->
// RMSNorm -> SwiGLU MLP -> residual, then a final RMSNorm and the LM head (tied to the embedding or not).
//
// Torch header: include only from model/ and train/. Other layers use model/language_model.h.
//
// q/k/v projections are stored stacked in one matrix, and gate/up in another, so a layer does one
// matmul for each; the HF tensors (q_proj.weight, ...) are views into them (named_tensors()), which is
// what loading writes into and saving reads from.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "model/model_config.h"

namespace cr1::model {

struct Qwen2Layer {
  at::Tensor input_norm;      // (D)
  at::Tensor qkv_weight;      // ((H + 2*KV) * hd, D): rows of q_proj, then k_proj, then v_proj
  at::Tensor qkv_bias;        // ((H + 2*KV) * hd)
  at::Tensor o_weight;        // (D, H * hd); o_proj has no bias in Qwen2
  at::Tensor post_norm;       // (D)
  at::Tensor gate_up_weight;  // (2 * I, D): rows of gate_proj, then up_proj
  at::Tensor down_weight;     // (D, I)
};

// Keys and values of past positions, per layer (B, KV, capacity, hd), filled up to `length`.
struct KvCache {
  std::vector<at::Tensor> keys, values;
  int64_t length = 0;
  int64_t capacity() const { return keys.empty() ? 0 : keys[0].size(2); }
  int64_t batch() const { return keys.empty() ? 0 : keys[0].size(0); }
  // Keeps the batch rows `rows` (int64 indices), e.g. to drop finished sequences.
  void select_rows(const at::Tensor& rows);
};

struct PackedWeights;  // oneDNN copies of the matrices for CPU inference (qwen2_model.cpp)

class Qwen2Model {
 public:
  // Parameters of the right shapes on `options` (dtype, device). With a seed they are initialised as HF
  // does for a new model (normal(0, 0.02) matrices, zero biases, unit norms); without, left
  // uninitialised for a checkpoint to fill (model/checkpoint.h).
  Qwen2Model(ModelConfig config, at::TensorOptions options, std::optional<uint64_t> init_seed);

  const ModelConfig& config() const { return config_; }
  at::TensorOptions options() const { return embed_.options(); }

  // The HF checkpoint tensors, in HF order, as views of the parameters (lm_head.weight only when untied).
  std::vector<std::pair<std::string, at::Tensor>> named_tensors() const;
  // The leaf tensors an optimizer updates (each once; fused ones whole).
  std::vector<at::Tensor> parameters() const;

  // Moves/casts every parameter (and the rotary tables).
  void to(at::TensorOptions options);

  // Rotary tables for `positions` positions; config().max_position_embeddings becomes that. Rotary
  // positions need no weights, so a model runs past its checkpoint's declared context (as HF, which
  // computes the angles for any position, and vLLM's --max-model-len allow); quality there is the
  // model's affair.
  void set_max_positions(int64_t positions);

  // Uninitialised beyond length 0 (forward reads only what it wrote).
  KvCache make_cache(int64_t batch, int64_t capacity) const;

  // CPU f32 inference (no autograd) runs its matrix products through oneDNN on weights packed at the
  // first such forward and repacked whenever a weight has changed since (PackedLinear). On by default
  // where oneDNN is available; costs a second copy of the matrices.
  void set_cpu_packing(bool on) { cpu_packing_ = on; }
  // CPU f32 inference attention through model/cpu_attention.h (on by default) or, off, through ATen's
  // batched matrix products (the system BLAS), as autograd and other devices always do.
  void set_cpu_attention(bool on) { cpu_attention_ = on; }

  // Runs the decoder over new tokens.
  //   input_ids, position_ids: (B, T) int64
  //   bias: (B, 1, T, L) additive attention bias over the L = past + T keys (make_attention_bias)
  //   cache: past keys/values (appended to, its length advanced by T), or null for no past
  // Returns the final hidden states (B, T, D), after the last norm.
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& position_ids, const at::Tensor& bias,
                     KvCache* cache) const;
  // (…, D) -> (…, vocab)
  at::Tensor logits(const at::Tensor& hidden) const;

 private:
  at::Tensor attention(size_t index, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                       const at::Tensor& bias, KvCache* cache, const PackedWeights* packed) const;
  at::Tensor mlp(size_t index, const at::Tensor& x, const PackedWeights* packed) const;
  // The packed weights when this forward may use them (else null), packing or repacking as needed.
  std::shared_ptr<const PackedWeights> packed_for(const at::Tensor& input) const;
  std::vector<const at::Tensor*> packed_sources() const;

  ModelConfig config_;
  at::Tensor embed_;   // (V, D)
  std::vector<Qwen2Layer> layers_;
  at::Tensor norm_;    // (D)
  at::Tensor lm_head_; // (V, D); the same tensor as embed_ when tied
  at::Tensor cos_, sin_;  // (max_positions, hd) rotary tables; sin_ signed for the swapped halves

  bool cpu_packing_ = true;
  bool cpu_attention_ = true;
  mutable std::shared_ptr<const PackedWeights> packed_;
  mutable std::shared_ptr<std::mutex> packed_mutex_ = std::make_shared<std::mutex>();
};

// The additive attention bias for T new queries at the end of L keys, from a (B, L) mask of the keys
// (1 = token, 0 = padding): query t may see key j when j <= L - T + t and mask[j] == 1.
// Returns (B, 1, T, L) in `dtype`: 0 where allowed, the dtype's lowest value where not (as HF does, so a
// query that sees nothing gets a uniform average instead of NaN).
at::Tensor make_attention_bias(const at::Tensor& key_mask, int64_t num_queries, at::ScalarType dtype);

// HF's position ids for a left-padded batch: cumsum(mask) - 1, clamped at 0. (B, L) -> (B, L) int64.
at::Tensor positions_from_mask(const at::Tensor& key_mask);

// The building blocks of the forward pass (free functions, so tests check each against its definition).

// HF Qwen2RMSNorm: x / sqrt(mean(x^2) + eps) computed in f32, rounded to x's dtype, times the weight.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Rotary tables for positions 0..P-1, in f32: cos (P, hd) = cos(p * theta^(-2i/hd)) over both halves, and
// sin (P, hd) signed as (-sin, +sin), so that HF's x*cos + rotate_half(x)*sin is x*cos + swap_halves(x)*sin.
std::pair<at::Tensor, at::Tensor> rotary_tables(int64_t positions, int64_t head_dim, double theta);
// x (B, T, heads, hd), cos/sin rows gathered for each position (B, T, 1, hd).
at::Tensor apply_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace cr1::model
