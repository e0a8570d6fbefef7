// Sixteen-float vectors (GCC/Clang vector extensions) and the few operations the CPU f32 kernels
// share (model/cpu_attention.cpp, model/cpu_fused_ops.cpp): loads, horizontal max and sum, and e^x.
// One source serves every instruction set: a function compiled with target("avx512f") gets one
// register per vector, with target("avx2,fma") two, in the baseline build four SSE ones; callers
// compile their bodies once per target and pick one at run time (cpu_isa()).
//
// Everything here is always inlined into those bodies, so vectors never cross a call (no ABI).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace cr1::model::simd {

typedef float vf16 __attribute__((vector_size(64)));
typedef int vi16 __attribute__((vector_size(64)));

#define CR1_SIMD_INLINE __attribute__((always_inline)) inline

CR1_SIMD_INLINE vf16 load(const float* p) {
  vf16 x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
CR1_SIMD_INLINE void store(float* p, vf16 x) { std::memcpy(p, &x, sizeof x); }
// The first n (< 16) floats; the other lanes `fill`.
CR1_SIMD_INLINE vf16 load_partial(const float* p, int64_t n, float fill) {
  vf16 x = vf16{} + fill;
  for (int64_t i = 0; i < n; ++i) x[i] = p[i];
  return x;
}
CR1_SIMD_INLINE void store_partial(float* p, vf16 x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = x[i];
}
CR1_SIMD_INLINE vf16 splat(float s) { return vf16{} + s; }
CR1_SIMD_INLINE vf16 vmax(vf16 a, vf16 b) { return a > b ? a : b; }

// Max (sum) over the lanes, by halving the distance.
CR1_SIMD_INLINE float hmax(vf16 v) {
  v = vmax(v, __builtin_shuffle(v, vi16{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7}));
  v = vmax(v, __builtin_shuffle(v, vi16{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11}));
  v = vmax(v, __builtin_shuffle(v, vi16{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13}));
  v = vmax(v, __builtin_shuffle(v, vi16{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}));
  return v[0];
}
CR1_SIMD_INLINE float hsum(vf16 v) {
  v += __builtin_shuffle(v, vi16{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
  v += __builtin_shuffle(v, vi16{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11});
  v += __builtin_shuffle(v, vi16{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
  v += __builtin_shuffle(v, vi16{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14});
  return v[0];
}

// e^x within about 2 ulp for x in [-87, 88]: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor
// polynomial to degree 7 (remainder below 1e-8 relative), times 2^n through the exponent bits.
// Below -87 (-inf included) the result is exactly 0; above 88 it is e^88.
CR1_SIMD_INLINE vf16 vexp(vf16 x) {
  vf16 xc = vmax(x, splat(-87.0f));
  xc = xc < 88.0f ? xc : splat(88.0f);
  const vf16 round = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const vf16 n = (xc * 1.44269504088896341f + round) - round;
  const vf16 r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;  // ln 2 split so that n * hi is exact
  vf16 p = splat(1.0f / 5040.0f);
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const vi16 bits = (__builtin_convertvector(n, vi16) + 127) << 23;
  vf16 two_n;
  std::memcpy(&two_n, &bits, sizeof bits);
  return x < -87.0f ? vf16{} : p * two_n;
}

// Which body a caller runs: the widest the CPU has (checked once).
enum class Isa { kBaseline, kAvx2, kAvx512 };
Isa cpu_isa();

}  // namespace cr1::model::simd
