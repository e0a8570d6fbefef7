// The one place where Debian's libtorch 1.13 (CPU, here) and pip's torch 2.x (CUDA, on the GPU
// machine) differ for us: fused scaled-dot-product attention with grouped KV heads (enable_gqa) exists
// from 2.5 on. Without it, and for single-token decode steps everywhere, attention is two batched
// matmuls that group the query heads sharing a KV head, so the cache is read in place, never copied
// or repeated (a decode step is bound by reading the cache; fused kernels gain nothing there).
#pragma once

#include <cmath>

#include <ATen/ATen.h>
#include <torch/version.h>

namespace cr1::model::compat {

// Attention of q over k/v with an additive bias.
//   q: (B, H, T, D)   k, v: (B, KV, L, D) with H a multiple of KV (query head h reads KV head h / (H/KV))
//   bias: (B, 1, T, L), 0 where allowed and a large negative number where masked
//   returns (B, H, T, D)
// `k` and `v` may be slices of a larger cache along L.
inline at::Tensor grouped_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& bias) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k.size(1), L = k.size(2), G = H / KV;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
  if (T > 1) return at::scaled_dot_product_attention(q, k, v, bias, 0.0, false, std::nullopt, /*enable_gqa=*/G > 1);
#endif
  auto q3 = q.reshape({B * KV, G * T, D});  // (B*KV, G*T, D): the heads of one group stacked
  auto k3 = k.reshape({B * KV, L, D});      // a view when k is a cache slice along L
  auto v3 = v.reshape({B * KV, L, D});
  auto scores = at::bmm(q3, k3.transpose(1, 2));  // (B*KV, G*T, L)
  scores.view({B, KV, G, T, L}).mul_(1.0 / std::sqrt(static_cast<double>(D))).add_(bias.unsqueeze(2));
  auto probs = at::softmax(scores, -1);
  return at::bmm(probs, v3).view({B, H, T, D});  // (B*KV, G*T, D) -> (B, H, T, D)
}

}  // namespace cr1::model::compat
