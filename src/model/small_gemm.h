// y = x W^T + b for a few rows of x (a decode step, or the drafts of speculative decoding), f32 on the
// CPU, written out with AVX2/FMA. Why: at one row, oneDNN's prepacked path (PackedLinear) spends about
// two thirds of a decode step outside the product itself -- converting the input to and the output from
// oneDNN's layout, creating the convolution primitive, allocating -- for 33 matrix products a token; the
// product of a few rows is bound by reading W once, which plain vector code does as well. Each output
// is a dot product of a row of W and a row of x, summed in a fixed order, so a row's result does not
// depend on the other rows. Torch-free.
#pragma once

#include <cstdint>

namespace cr1::model {

// Whether this CPU runs the kernel (x86-64 with AVX2 and FMA).
bool small_gemm_available();

// x: (rows, in), W: (out, in), bias: (out) or null, y: (rows, out); all row-major and contiguous.
// Splits the output columns over torch's intra-op threads (at::parallel_for).
void small_gemm(const float* x, int64_t rows, const float* W, const float* bias, float* y, int64_t out, int64_t in);

// The same with W in bfloat16 (the upper 16 bits of each f32 weight): half the bytes to read, which is
// what a step costs. Equal, bit for bit, to the f32 version on the widened weights.
void small_gemm(const float* x, int64_t rows, const uint16_t* W, const float* bias, float* y, int64_t out,
                int64_t in);

}  // namespace cr1::model
