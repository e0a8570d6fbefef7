// Linear layers for CPU inference through oneDNN (bundled with libtorch) with the weight packed once
// into oneDNN's blocked layout. Why: on Debian, libtorch's f32 matmul goes to the system BLAS, which by
// default is the reference (netlib) implementation -- about 10x slower than oneDNN at batch 8 here.
// oneDNN's prepacked path in both libtorch 1.13 and 2.x is the 1x1 convolution (mkldnn_linear repacks
// the weight on every call), so y = x W^T + b runs as a 1x1 convolution over a (1, in, rows, 1) image.
// A few rows (a decode step, speculative drafts) skip oneDNN: model/small_gemm.h multiplies them by the
// source weight itself, whose conversions and primitive set-up would cost more than the product.
// Inference only (no autograd); the caller falls back to at::linear otherwise.
// Torch header: model/ and train/ only.
#pragma once

#include <ATen/ATen.h>

namespace cr1::model {

class PackedLinear {
 public:
  // True when this libtorch has oneDNN and the CPU supports it.
  static bool available();

  PackedLinear() = default;
  // weight: (out, in) f32 on the CPU; bias: (out) or undefined. Copies the bias, packs a copy of the
  // weight for oneDNN and keeps the weight itself (no copy when contiguous) for a few rows, or a bf16
  // copy when every weight is a bf16 value.
  PackedLinear(const at::Tensor& weight, const at::Tensor& bias);

  // Inputs of at most this many rows go through small_gemm.
  static constexpr int64_t kSmallRows = 16;

  // (..., in) -> (..., out), contiguous.
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  at::Tensor packed_;  // oneDNN weight (out, in, 1, 1), blocked
  at::Tensor bias_;
  at::Tensor weight_;  // (out, in) contiguous, shares the source's storage when it can
  at::Tensor weight_bf16_;  // the same values in bf16 when they all are bf16 values (a bf16 checkpoint)
  int64_t out_ = 0, in_ = 0;
};

}  // namespace cr1::model
