#include "model/small_gemm.h"

#include <cmath>
#include <cstring>

#include <ATen/Parallel.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cr1::model {

#if defined(__x86_64__)

namespace {

__attribute__((target("avx2,fma"), always_inline)) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Eight weights as floats. A bf16 weight is the top half of the f32 of the same value, so widening is
// exact and the sums below are the same, in the same order, as over the f32 copy.
__attribute__((target("avx2,fma"), always_inline)) inline __m256 load8(const float* w) { return _mm256_loadu_ps(w); }
__attribute__((target("avx2,fma"), always_inline)) inline __m256 load8(const uint16_t* w) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
inline float widen(float w) { return w; }
inline float widen(uint16_t w) {
  const uint32_t bits = static_cast<uint32_t>(w) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Outputs [o0, o1) of every row: four rows of W against two rows of x at a time (eight accumulators),
// so each load of W serves two rows and each load of x four outputs.
template <class Weight>
__attribute__((target("avx2,fma"))) void block(const float* x, int64_t rows, const Weight* W, const float* bias,
                                                float* y, int64_t out, int64_t in, int64_t o0, int64_t o1) {
  const int64_t vin = in / 8 * 8;
  auto tail = [&](const Weight* w, const float* xr, float s) {
    // An explicit fma, so that the f32 and bf16 kernels round the tail alike whatever the compiler contracts.
    for (int64_t i = vin; i < in; ++i) s = std::fma(widen(w[i]), xr[i], s);
    return s;
  };
  int64_t o = o0;
  for (; o + 4 <= o1; o += 4) {
    const Weight *w0 = W + o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
    int64_t r = 0;
    for (; r + 2 <= rows; r += 2) {
      const float *xa = x + r * in, *xb = xa + in;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (int64_t i = 0; i < vin; i += 8) {
        const __m256 va = _mm256_loadu_ps(xa + i), vb = _mm256_loadu_ps(xb + i);
        __m256 w = load8(w0 + i);
        a0 = _mm256_fmadd_ps(w, va, a0);
        b0 = _mm256_fmadd_ps(w, vb, b0);
        w = load8(w1 + i);
        a1 = _mm256_fmadd_ps(w, va, a1);
        b1 = _mm256_fmadd_ps(w, vb, b1);
        w = load8(w2 + i);
        a2 = _mm256_fmadd_ps(w, va, a2);
        b2 = _mm256_fmadd_ps(w, vb, b2);
        w = load8(w3 + i);
        a3 = _mm256_fmadd_ps(w, va, a3);
        b3 = _mm256_fmadd_ps(w, vb, b3);
      }
      float* ya = y + r * out + o;
      float* yb = ya + out;
      ya[0] = tail(w0, xa, hsum(a0));
      ya[1] = tail(w1, xa, hsum(a1));
      ya[2] = tail(w2, xa, hsum(a2));
      ya[3] = tail(w3, xa, hsum(a3));
      yb[0] = tail(w0, xb, hsum(b0));
      yb[1] = tail(w1, xb, hsum(b1));
      yb[2] = tail(w2, xb, hsum(b2));
      yb[3] = tail(w3, xb, hsum(b3));
    }
    for (; r < rows; ++r) {
      const float* xa = x + r * in;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t i = 0; i < vin; i += 8) {
        const __m256 va = _mm256_loadu_ps(xa + i);
        a0 = _mm256_fmadd_ps(load8(w0 + i), va, a0);
        a1 = _mm256_fmadd_ps(load8(w1 + i), va, a1);
        a2 = _mm256_fmadd_ps(load8(w2 + i), va, a2);
        a3 = _mm256_fmadd_ps(load8(w3 + i), va, a3);
      }
      float* ya = y + r * out + o;
      ya[0] = tail(w0, xa, hsum(a0));
      ya[1] = tail(w1, xa, hsum(a1));
      ya[2] = tail(w2, xa, hsum(a2));
      ya[3] = tail(w3, xa, hsum(a3));
    }
  }
  for (; o < o1; ++o) {
    const Weight* w = W + o * in;
    for (int64_t r = 0; r < rows; ++r) {
      const float* xa = x + r * in;
      __m256 a = _mm256_setzero_ps();
      for (int64_t i = 0; i < vin; i += 8) a = _mm256_fmadd_ps(load8(w + i), _mm256_loadu_ps(xa + i), a);
      y[r * out + o] = tail(w, xa, hsum(a));
    }
  }
  if (bias)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = o0; c < o1; ++c) y[r * out + c] += bias[c];
}

}  // namespace

bool small_gemm_available() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

namespace {

template <class Weight>
void run_blocks(const float* x, int64_t rows, const Weight* W, const float* bias, float* y, int64_t out, int64_t in) {
  // Blocks of four outputs; a thread's share is at least ~64k multiply-adds, so one row stays on one
  // thread for small matrices.
  const int64_t blocks = (out + 3) / 4;
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 4 * in * rows));
  at::parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    block(x, rows, W, bias, y, out, in, b0 * 4, std::min(out, b1 * 4));
  });
}

}  // namespace

void small_gemm(const float* x, int64_t rows, const float* W, const float* bias, float* y, int64_t out, int64_t in) {
  run_blocks(x, rows, W, bias, y, out, in);
}

void small_gemm(const float* x, int64_t rows, const uint16_t* W, const float* bias, float* y, int64_t out,
                int64_t in) {
  run_blocks(x, rows, W, bias, y, out, in);
}

#else

bool small_gemm_available() { return false; }
void small_gemm(const float*, int64_t, const float*, const float*, float*, int64_t, int64_t) {}
void small_gemm(const float*, int64_t, const uint16_t*, const float*, float*, int64_t, int64_t) {}

#endif

}  // namespace cr1::model
