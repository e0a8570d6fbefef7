// Grouped-query attention for CPU f32 inference, written out instead of going through at::bmm. Why:
// Debian's libtorch 1.13 sends f32 matrix products to the system BLAS, here the reference (netlib)
// libblas3, which runs attention's products at about 1 GFLOPS -- slower than every other part of a
// step, in decode (a few query rows against the whole cache) as in prefill; and the reference path
// costs seven tensor ops a layer. Here the query-key dot products and the weighted sums of values are
// explicit vector code (GCC vector extensions, compiled for AVX2+FMA and for the baseline, chosen at
// run time) and the softmax is ATen's own vectorised one.
//
// Keys masked out by the bias (the dtype's lowest value, make_attention_bias) are skipped, which is
// exact: their probability is 0 unless a query sees no key at all, and then the scores are all equal,
// as in the reference, and every key counts (HF's uniform average). The result equals
// compat::grouped_attention up to float rounding (the sums run in another order).
//
// Torch header: model/ only.
#pragma once

#include <ATen/ATen.h>

namespace cr1::model {

// Whether cpu_grouped_attention serves a forward on `q`: CPU, f32, no autograd.
bool cpu_attention_applies(const at::Tensor& q);

// q: (B, T, H, hd); k, v: (B, KV, L, hd) with H a multiple of KV (query head h reads KV head h / (H/KV)),
// e.g. slices of a KV cache; the last dimension of each contiguous. bias: (B, 1, T, L) additive, its
// last dimension contiguous. Returns (B, T, H * hd): the heads' outputs side by side, as the output
// projection reads them.
at::Tensor cpu_grouped_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& bias);

}  // namespace cr1::model
