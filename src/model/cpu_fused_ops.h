// The decoder's elementwise steps for CPU f32 inference (no autograd), each one pass over its data
// instead of ATen's chain of ops and temporaries: RMSNorm (with the residual add before it), rotary
// positions in place, and SwiGLU's silu(gate) * up. Same formulas as the ATen versions in
// model/qwen2_model.h; results differ only by float rounding (sums in another order, FMA).
//
// Torch header: model/ only.
#pragma once

#include <ATen/ATen.h>

namespace cr1::model {

// Whether the kernels below serve `x`: CPU, f32, no autograd.
bool cpu_fused_applies(const at::Tensor& x);

// x / sqrt(mean(x^2) + eps) * weight over the last dimension. x: (..., D), weight: (D).
at::Tensor cpu_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// residual += delta (in place; residual contiguous), then returns cpu_rms_norm(residual, weight, eps):
// one pass for the add and the sum of squares, one for the scaling.
at::Tensor cpu_add_rms_norm(at::Tensor& residual, const at::Tensor& delta, const at::Tensor& weight, double eps);

// x (B, T, heads, hd), last dimension contiguous, rotated in place: x * cos + swap_halves(x) * sin with
// cos/sin (B * T, hd) contiguous, the rows of the signed tables (rotary_tables) for each position.
void cpu_rotary_(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// gate_up (..., 2I) with gate in the first half, up in the second -> (..., I): silu(gate) * up.
at::Tensor cpu_silu_mul(const at::Tensor& gate_up);

}  // namespace cr1::model
