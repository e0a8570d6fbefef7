#include "model/qwen2_model.h"

#include <ATen/core/grad_mode.h>
#include <limits>

#include <ATen/CPUGeneratorImpl.h>

#include "model/cpu_allocation.h"
#include "model/cpu_attention.h"
#include "model/cpu_fused_ops.h"
#include "model/packed_linear.h"
#include "model/torch_compat.h"

namespace cr1::model {

struct PackedWeights {
  struct Layer {
    PackedLinear qkv, o, gate_up, down;
  };
  std::vector<Layer> layers;
  PackedLinear lm_head;
  std::vector<std::pair<const void*, int64_t>> stamp;  // (data, version) of each source when packed
};

namespace {

double lowest_of(at::ScalarType dtype) {
  switch (dtype) {
    case at::kBFloat16: return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    case at::kHalf: return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    case at::kDouble: return std::numeric_limits<double>::lowest();
    default: return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

}  // namespace

void KvCache::select_rows(const at::Tensor& rows) {
  for (auto& k : keys) k = k.index_select(0, rows);
  for (auto& v : values) v = v.index_select(0, rows);
}

Qwen2Model::Qwen2Model(ModelConfig config, at::TensorOptions options, std::optional<uint64_t> init_seed)
    : config_(std::move(config)) {
  const auto& c = config_;
  const int64_t D = c.hidden_size, I = c.intermediate_size, hd = c.head_dim();
  const int64_t H = c.num_attention_heads, KV = c.num_key_value_heads;
  auto cpu = at::TensorOptions().dtype(at::kFloat);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(init_seed.value_or(0));
  // Drawn in f32 on the CPU so the same seed gives the same model on every device and dtype.
  auto matrix = [&](int64_t rows, int64_t cols) {
    if (!init_seed) return at::empty({rows, cols}, options);
    return at::normal(0.0, 0.02, {rows, cols}, gen, cpu).to(options);
  };
  auto filled = [&](int64_t n, double value) {
    return init_seed ? at::full({n}, value, options) : at::empty({n}, options);
  };
  embed_ = matrix(c.vocab_size, D);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    Qwen2Layer l;
    l.input_norm = filled(D, 1.0);
    l.qkv_weight = matrix((H + 2 * KV) * hd, D);
    l.qkv_bias = filled((H + 2 * KV) * hd, 0.0);
    l.o_weight = matrix(D, H * hd);
    l.post_norm = filled(D, 1.0);
    l.gate_up_weight = matrix(2 * I, D);
    l.down_weight = matrix(D, I);
    layers_.push_back(std::move(l));
  }
  norm_ = filled(D, 1.0);
  lm_head_ = c.tie_word_embeddings ? embed_ : matrix(c.vocab_size, D);
  auto [cos, sin] = rotary_tables(c.max_position_embeddings, hd, c.rope_theta);
  cos_ = cos.to(options);
  sin_ = sin.to(options);
  if (options.device().is_cpu()) keep_cpu_allocations();
}

std::vector<std::pair<std::string, at::Tensor>> Qwen2Model::named_tensors() const {
  const auto& c = config_;
  const int64_t hd = c.head_dim(), q = c.num_attention_heads * hd, kv = c.num_key_value_heads * hd;
  const int64_t I = c.intermediate_size;
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.emplace_back("model.embed_tokens.weight", embed_);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.emplace_back(p + "input_layernorm.weight", l.input_norm);
    out.emplace_back(p + "self_attn.q_proj.weight", l.qkv_weight.narrow(0, 0, q));
    out.emplace_back(p + "self_attn.q_proj.bias", l.qkv_bias.narrow(0, 0, q));
    out.emplace_back(p + "self_attn.k_proj.weight", l.qkv_weight.narrow(0, q, kv));
    out.emplace_back(p + "self_attn.k_proj.bias", l.qkv_bias.narrow(0, q, kv));
    out.emplace_back(p + "self_attn.v_proj.weight", l.qkv_weight.narrow(0, q + kv, kv));
    out.emplace_back(p + "self_attn.v_proj.bias", l.qkv_bias.narrow(0, q + kv, kv));
    out.emplace_back(p + "self_attn.o_proj.weight", l.o_weight);
    out.emplace_back(p + "post_attention_layernorm.weight", l.post_norm);
    out.emplace_back(p + "mlp.gate_proj.weight", l.gate_up_weight.narrow(0, 0, I));
    out.emplace_back(p + "mlp.up_proj.weight", l.gate_up_weight.narrow(0, I, I));
    out.emplace_back(p + "mlp.down_proj.weight", l.down_weight);
  }
  out.emplace_back("model.norm.weight", norm_);
  if (!c.tie_word_embeddings) out.emplace_back("lm_head.weight", lm_head_);
  return out;
}

std::vector<at::Tensor> Qwen2Model::parameters() const {
  std::vector<at::Tensor> out{embed_};
  for (const auto& l : layers_)
    for (const auto* t : {&l.input_norm, &l.qkv_weight, &l.qkv_bias, &l.o_weight, &l.post_norm, &l.gate_up_weight,
                          &l.down_weight})
      out.push_back(*t);
  out.push_back(norm_);
  if (!config_.tie_word_embeddings) out.push_back(lm_head_);
  return out;
}

void Qwen2Model::to(at::TensorOptions options) {
  embed_ = embed_.to(options);
  for (auto& l : layers_)
    for (auto* t : {&l.input_norm, &l.qkv_weight, &l.qkv_bias, &l.o_weight, &l.post_norm, &l.gate_up_weight,
                    &l.down_weight})
      *t = t->to(options);
  norm_ = norm_.to(options);
  lm_head_ = config_.tie_word_embeddings ? embed_ : lm_head_.to(options);
  // The rotary tables are computed in f32 and rounded once to the model dtype, as HF does.
  auto [cos, sin] = rotary_tables(config_.max_position_embeddings, config_.head_dim(), config_.rope_theta);
  cos_ = cos.to(options);
  sin_ = sin.to(options);
}

void Qwen2Model::set_max_positions(int64_t positions) {
  if (positions <= 0 || positions == config_.max_position_embeddings) return;
  config_.max_position_embeddings = positions;
  auto [cos, sin] = rotary_tables(positions, config_.head_dim(), config_.rope_theta);
  cos_ = cos.to(cos_.options());
  sin_ = sin.to(sin_.options());
}

KvCache Qwen2Model::make_cache(int64_t batch, int64_t capacity) const {
  KvCache cache;
  for (size_t i = 0; i < layers_.size(); ++i) {
    // Uninitialised: a forward reads only positions below length, all written before.
    cache.keys.push_back(at::empty({batch, config_.num_key_value_heads, capacity, config_.head_dim()}, options()));
    cache.values.push_back(at::empty_like(cache.keys.back()));
  }
  return cache;
}

std::vector<const at::Tensor*> Qwen2Model::packed_sources() const {
  std::vector<const at::Tensor*> out;
  for (const auto& l : layers_)
    for (const auto* t : {&l.qkv_weight, &l.qkv_bias, &l.o_weight, &l.gate_up_weight, &l.down_weight}) out.push_back(t);
  out.push_back(&lm_head_);
  return out;
}

std::shared_ptr<const PackedWeights> Qwen2Model::packed_for(const at::Tensor& input) const {
  if (!cpu_packing_ || at::GradMode::is_enabled() || !input.device().is_cpu() ||
      embed_.scalar_type() != at::kFloat || !PackedLinear::available())
    return nullptr;
  // Inference tensors have no version counter, and cannot change outside inference mode.
  auto stamp = [](const at::Tensor& t) {
    return std::pair<const void*, int64_t>(t.data_ptr(), t.is_inference() ? 0 : t._version());
  };
  std::lock_guard<std::mutex> lock(*packed_mutex_);
  auto sources = packed_sources();
  bool fresh = packed_ && packed_->stamp.size() == sources.size();
  for (size_t i = 0; fresh && i < sources.size(); ++i) fresh = packed_->stamp[i] == stamp(*sources[i]);
  if (!fresh) {
    auto p = std::make_shared<PackedWeights>();
    for (const auto& l : layers_)
      p->layers.push_back({PackedLinear(l.qkv_weight, l.qkv_bias), PackedLinear(l.o_weight, {}),
                           PackedLinear(l.gate_up_weight, {}), PackedLinear(l.down_weight, {})});
    p->lm_head = PackedLinear(lm_head_, {});
    for (const auto* t : sources) p->stamp.push_back(stamp(*t));
    packed_ = std::move(p);
  }
  return packed_;
}

at::Tensor Qwen2Model::attention(size_t index, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                 const at::Tensor& bias, KvCache* cache, const PackedWeights* packed) const {
  const auto& layer = layers_[index];
  const int64_t B = x.size(0), T = x.size(1), hd = config_.head_dim();
  const int64_t H = config_.num_attention_heads, KV = config_.num_key_value_heads;
  auto qkv = (packed ? packed->layers[index].qkv(x) : at::linear(x, layer.qkv_weight, layer.qkv_bias))
                 .view({B, T, H + 2 * KV, hd});
  auto qk = qkv.narrow(2, 0, H + KV);                  // (B, T, H+KV, hd): rotary on q and k at once
  at::Tensor rotated;
  if (cpu_fused_applies(qkv) && qkv.is_contiguous()) {  // qkv is this forward's own: rotate it in place
    cpu_rotary_(qk, cos, sin);
    rotated = qk;
  } else {
    rotated = apply_rotary(qk, cos, sin);
  }
  auto q = rotated.narrow(2, 0, H).transpose(1, 2);    // (B, H, T, hd)
  auto k = rotated.narrow(2, H, KV).transpose(1, 2);   // (B, KV, T, hd)
  auto v = qkv.narrow(2, H + KV, KV).transpose(1, 2);  // (B, KV, T, hd)
  if (cache) {
    const int64_t past = cache->length;
    cache->keys[index].narrow(2, past, T).copy_(k);
    cache->values[index].narrow(2, past, T).copy_(v);
    k = cache->keys[index].narrow(2, 0, past + T);     // (B, KV, L, hd)
    v = cache->values[index].narrow(2, 0, past + T);
  }
  at::Tensor out;  // (B, T, H*hd)
  if (cpu_attention_ && cpu_attention_applies(qkv))
    out = cpu_grouped_attention(rotated.narrow(2, 0, H), k, v, bias);
  else
    out = compat::grouped_attention(q, k, v, bias).transpose(1, 2).reshape({B, T, H * hd});
  return packed ? packed->layers[index].o(out) : at::linear(out, layer.o_weight);
}

at::Tensor Qwen2Model::mlp(size_t index, const at::Tensor& x, const PackedWeights* packed) const {
  const auto& layer = layers_[index];
  const int64_t I = config_.intermediate_size;
  auto gate_up = packed ? packed->layers[index].gate_up(x) : at::linear(x, layer.gate_up_weight);  // (B, T, 2I)
  auto h = cpu_fused_applies(gate_up) ? cpu_silu_mul(gate_up)
                                      : at::silu(gate_up.narrow(-1, 0, I)) * gate_up.narrow(-1, I, I);
  return packed ? packed->layers[index].down(h) : at::linear(h, layer.down_weight);
}

at::Tensor Qwen2Model::forward(const at::Tensor& input_ids, const at::Tensor& position_ids, const at::Tensor& bias,
                               KvCache* cache) const {
  const int64_t B = input_ids.size(0), T = input_ids.size(1), hd = config_.head_dim();
  TORCH_CHECK(!cache || cache->length + T <= cache->capacity(), "KV cache full: ", cache->length, " + ", T, " > ",
              cache->capacity());
  auto flat_pos = position_ids.reshape({-1});
  auto cos = cos_.index_select(0, flat_pos).view({B, T, 1, hd});
  auto sin = sin_.index_select(0, flat_pos).view({B, T, 1, hd});
  // In-place residual adds only where no autograd graph needs the old values.
  const bool inplace = !at::GradMode::is_enabled();
  const double eps = config_.rms_norm_eps;
  const auto packed_ref = packed_for(input_ids);  // held for the whole pass
  const PackedWeights* packed = packed_ref.get();
  auto x = at::embedding(embed_, input_ids);  // (B, T, D)
  if (cpu_fused_applies(x) && x.is_contiguous()) {
    // Each residual add fused with the norm after it; x (the embedding's own copy) is updated in place.
    auto h = cpu_rms_norm(x, layers_.empty() ? norm_ : layers_[0].input_norm, eps);
    for (size_t i = 0; i < layers_.size(); ++i) {
      const auto& l = layers_[i];
      h = cpu_add_rms_norm(x, attention(i, h, cos, sin, bias, cache, packed), l.post_norm, eps);
      const auto& next = i + 1 < layers_.size() ? layers_[i + 1].input_norm : norm_;
      h = cpu_add_rms_norm(x, mlp(i, h, packed), next, eps);
    }
    if (cache) cache->length += T;
    return h;
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    auto a = attention(i, rms_norm(x, l.input_norm, eps), cos, sin, bias, cache, packed);
    x = inplace ? x.add_(a) : x + a;
    auto m = mlp(i, rms_norm(x, l.post_norm, eps), packed);
    x = inplace ? x.add_(m) : x + m;
  }
  if (cache) cache->length += T;
  return rms_norm(x, norm_, eps);
}

at::Tensor Qwen2Model::logits(const at::Tensor& hidden) const {
  const auto packed = packed_for(hidden);
  return packed ? packed->lm_head(hidden) : at::linear(hidden, lm_head_);
}

at::Tensor make_attention_bias(const at::Tensor& key_mask, int64_t num_queries, at::ScalarType dtype) {
  const int64_t B = key_mask.size(0), L = key_mask.size(1), T = num_queries;
  auto allowed = key_mask.to(at::kBool).view({B, 1, 1, L});
  if (T > 1) {
    auto opts = at::TensorOptions().dtype(at::kLong).device(key_mask.device());
    auto query_pos = (at::arange(T, opts) + (L - T)).view({T, 1});
    auto causal = at::arange(L, opts).view({1, L}) <= query_pos;  // (T, L)
    allowed = allowed & causal.view({1, 1, T, L});
  }
  allowed = allowed.expand({B, 1, T, L});
  return at::zeros({B, 1, T, L}, at::TensorOptions().dtype(dtype).device(key_mask.device()))
      .masked_fill_(allowed.logical_not(), lowest_of(dtype));
}

at::Tensor positions_from_mask(const at::Tensor& key_mask) {
  return (key_mask.to(at::kLong).cumsum(-1) - 1).clamp_min(0);
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  if (x.scalar_type() == at::kFloat) return x * at::rsqrt(x.pow(2).mean(-1, true).add_(eps)) * weight;
  auto xf = x.to(at::kFloat);
  return weight * (xf * at::rsqrt(xf.pow(2).mean(-1, true).add_(eps))).to(x.scalar_type());
}

std::pair<at::Tensor, at::Tensor> rotary_tables(int64_t positions, int64_t head_dim, double theta) {
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  auto exponents = at::arange(0, head_dim, 2, f32.dtype(at::kLong)).to(at::kFloat) / head_dim;
  auto inv_freq = 1.0 / at::pow(theta, exponents);               // (hd/2)
  auto angles = at::outer(at::arange(positions, f32), inv_freq);  // (P, hd/2)
  auto cos = angles.cos(), sin = angles.sin();
  return {at::cat({cos, cos}, -1), at::cat({-sin, sin}, -1)};
}

at::Tensor apply_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto swapped = at::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + swapped * sin;
}

}  // namespace cr1::model
