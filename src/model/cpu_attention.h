// Grouped-query attention for CPU f32 inference, written out instead of going through at::bmm. Why:
// Debian's libtorch 1.13 sends f32 matrix products to the system BLAS, here the reference (netlib)
// libblas3, which runs attention's products at about 1 GFLOPS -- slower than every other part of a
// step, in decode (a few query rows against the whole cache) as in prefill.
//
// Flash style (one pass, no row of L scores stored, no separate softmax): a tile of query rows (the G
// heads sharing a KV head, times consecutive positions) runs over the keys in blocks of 16 with a
// running max, sum and weighted sum per row. A block's 16 scores per row come out as one vector: for
// tiles of many rows (prefill) from the block's keys transposed once for all of them, for few rows
// (decode) from 16 dot products folded together without per-key horizontal sums. The code is GCC
// vector extensions (model/cpu_vector.h) compiled for AVX-512, AVX2+FMA and the baseline, picked at
// run time.
//
// Keys masked out by the bias (the dtype's lowest value, make_attention_bias) get probability 0, and
// a key block masked for every row of a tile is not read at all. That is exact: the reference gives
// them e^(lowest - max) = 0 unless a query sees no key at all, and then its scores are all equal and
// every key counts (HF's uniform average), which such a row gets here too. The result equals
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
