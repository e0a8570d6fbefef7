#include "model/cpu_fused_ops.h"

#include <cmath>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include "model/cpu_vector.h"

namespace cr1::model {

namespace {

using namespace simd;

// Sum of squares of x[0..n) in 16 lanes, then across them.
CR1_SIMD_INLINE float sum_squares(const float* x, int64_t n) {
  vf16 a = {}, b = {};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const vf16 x0 = load(x + i), x1 = load(x + i + 16);
    a += x0 * x0;
    b += x1 * x1;
  }
  for (; i + 16 <= n; i += 16) {
    const vf16 x0 = load(x + i);
    a += x0 * x0;
  }
  if (i < n) {
    const vf16 x0 = load_partial(x + i, n - i, 0.0f);
    b += x0 * x0;
  }
  return hsum(a + b);
}

// out = x * r * w (HF's order: normalise, then scale).
CR1_SIMD_INLINE void scale_row(const float* x, float r, const float* w, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) store(out + i, load(x + i) * r * load(w + i));
  for (; i < n; ++i) out[i] = x[i] * r * w[i];
}

struct NormArgs {
  float* residual;        // (rows, D) or null for a plain norm
  const float* delta;     // added to residual first (rows, D, row stride delta_stride)
  const float* x;         // the input of a plain norm (row stride x_stride)
  int64_t x_stride, delta_stride;
  const float* w;
  float* out;
  int64_t D;
  float eps;
};

CR1_SIMD_INLINE void norm_body(const NormArgs& a, int64_t begin, int64_t end) {
  const int64_t D = a.D;
  for (int64_t row = begin; row < end; ++row) {
    const float* x;
    if (a.residual) {
      float* r = a.residual + row * D;
      const float* d = a.delta + row * a.delta_stride;
      int64_t i = 0;
      for (; i + 16 <= D; i += 16) store(r + i, load(r + i) + load(d + i));
      for (; i < D; ++i) r[i] += d[i];
      x = r;
    } else {
      x = a.x + row * a.x_stride;
    }
    const float mean = sum_squares(x, D) / static_cast<float>(D);
    scale_row(x, 1.0f / std::sqrt(mean + a.eps), a.w, a.out + row * D, D);
  }
}

struct RotaryArgs {
  float* x;
  int64_t heads, hd, pos_stride, head_stride;  // x's strides over (B*T) and heads
  const float *cos, *sin;
};

CR1_SIMD_INLINE void rotary_body(const RotaryArgs& a, int64_t begin, int64_t end) {
  const int64_t half = a.hd / 2;
  for (int64_t p = begin; p < end; ++p) {
    const float* c = a.cos + p * a.hd;
    const float* s = a.sin + p * a.hd;
    for (int64_t h = 0; h < a.heads; ++h) {
      float* x = a.x + p * a.pos_stride + h * a.head_stride;
      int64_t i = 0;
      for (; i + 16 <= half; i += 16) {
        const vf16 lo = load(x + i), hi = load(x + half + i);
        store(x + i, lo * load(c + i) + hi * load(s + i));
        store(x + half + i, hi * load(c + half + i) + lo * load(s + half + i));
      }
      for (; i < half; ++i) {
        const float lo = x[i], hi = x[half + i];
        x[i] = lo * c[i] + hi * s[i];
        x[half + i] = hi * c[half + i] + lo * s[half + i];
      }
    }
  }
}

CR1_SIMD_INLINE void silu_mul_body(const float* gu, float* out, int64_t I, int64_t in_stride, int64_t begin,
                                   int64_t end) {
  for (int64_t row = begin; row < end; ++row) {
    const float* g = gu + row * in_stride;
    const float* u = g + I;
    float* o = out + row * I;
    for (int64_t i = 0; i < I; i += 16) {
      const int64_t n = I - i < 16 ? I - i : 16;
      const vf16 gv = n == 16 ? load(g + i) : load_partial(g + i, n, 0.0f);
      const vf16 uv = n == 16 ? load(u + i) : load_partial(u + i, n, 0.0f);
      const vf16 r = gv / (1.0f + vexp(-gv)) * uv;
      if (n == 16)
        store(o + i, r);
      else
        store_partial(o + i, r, n);
    }
  }
}

// Each body compiled for three instruction sets; run() picks one.
#define CR1_VARIANTS(NAME, PARAMS, ARGS)                                                   \
  void NAME##_baseline PARAMS { NAME##_body ARGS; }                                        \
  __attribute__((target("avx2,fma"))) void NAME##_avx2 PARAMS { NAME##_body ARGS; }        \
  __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma"))) void NAME##_avx512 PARAMS { \
    NAME##_body ARGS;                                                                      \
  }

#if defined(__x86_64__) || defined(__i386__)
CR1_VARIANTS(norm, (const NormArgs& a, int64_t b, int64_t e), (a, b, e))
CR1_VARIANTS(rotary, (const RotaryArgs& a, int64_t b, int64_t e), (a, b, e))
CR1_VARIANTS(silu_mul, (const float* gu, float* out, int64_t I, int64_t s, int64_t b, int64_t e),
             (gu, out, I, s, b, e))
template <typename F>
F pick(F baseline, F avx2, F avx512) {
  const Isa isa = cpu_isa();
  return isa == Isa::kAvx512 ? avx512 : isa == Isa::kAvx2 ? avx2 : baseline;
}
#define CR1_PICK(NAME) pick(&NAME##_baseline, &NAME##_avx2, &NAME##_avx512)
#else
void norm_baseline(const NormArgs& a, int64_t b, int64_t e) { norm_body(a, b, e); }
void rotary_baseline(const RotaryArgs& a, int64_t b, int64_t e) { rotary_body(a, b, e); }
void silu_mul_baseline(const float* gu, float* out, int64_t I, int64_t s, int64_t b, int64_t e) {
  silu_mul_body(gu, out, I, s, b, e);
}
#define CR1_PICK(NAME) (&NAME##_baseline)
#endif

// Rows per parallel task: enough work to pay for a task.
int64_t grain(int64_t row_floats) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, row_floats)); }

at::Tensor norm_into(const NormArgs& args, int64_t rows) {
  auto fn = CR1_PICK(norm);
  at::parallel_for(0, rows, grain(args.D), [&](int64_t b, int64_t e) { fn(args, b, e); });
  return {};
}

}  // namespace

bool cpu_fused_applies(const at::Tensor& x) {
  return x.device().is_cpu() && x.scalar_type() == at::kFloat && !at::GradMode::is_enabled();
}

at::Tensor cpu_rms_norm(const at::Tensor& x_in, const at::Tensor& weight, double eps) {
  const at::Tensor x = x_in.is_contiguous() ? x_in : x_in.contiguous();
  const at::Tensor w = weight.contiguous();
  const int64_t D = x.size(-1), rows = D == 0 ? 0 : x.numel() / D;
  TORCH_CHECK(w.numel() == D, "rms_norm: weight of ", w.numel(), " for rows of ", D);
  auto out = at::empty_like(x);
  NormArgs args{nullptr, nullptr, x.data_ptr<float>(), D, 0, w.data_ptr<float>(), out.data_ptr<float>(), D,
                static_cast<float>(eps)};
  norm_into(args, rows);
  return out;
}

at::Tensor cpu_add_rms_norm(at::Tensor& residual, const at::Tensor& delta_in, const at::Tensor& weight, double eps) {
  TORCH_CHECK(residual.is_contiguous() && delta_in.sizes() == residual.sizes(), "add_rms_norm: shapes");
  const at::Tensor delta = delta_in.is_contiguous() ? delta_in : delta_in.contiguous();
  const at::Tensor w = weight.contiguous();
  const int64_t D = residual.size(-1), rows = D == 0 ? 0 : residual.numel() / D;
  TORCH_CHECK(w.numel() == D, "rms_norm: weight of ", w.numel(), " for rows of ", D);
  auto out = at::empty_like(residual);
  NormArgs args{residual.data_ptr<float>(), delta.data_ptr<float>(), nullptr, 0, D, w.data_ptr<float>(),
                out.data_ptr<float>(), D, static_cast<float>(eps)};
  norm_into(args, rows);
  return out;
}

void cpu_rotary_(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  TORCH_CHECK(x.dim() == 4 && x.stride(3) == 1 && x.size(3) % 2 == 0, "rotary: x (B, T, heads, hd)");
  const int64_t B = x.size(0), T = x.size(1), hd = x.size(3);
  TORCH_CHECK(x.stride(0) == T * x.stride(1) || B == 1, "rotary: x's positions must be evenly strided");
  TORCH_CHECK(cos.is_contiguous() && sin.is_contiguous() && cos.numel() == B * T * hd && sin.numel() == cos.numel(),
              "rotary: cos/sin (B * T, hd)");
  RotaryArgs args{x.data_ptr<float>(), x.size(2), hd, x.stride(1), x.stride(2), cos.data_ptr<float>(),
                  sin.data_ptr<float>()};
  auto fn = CR1_PICK(rotary);
  at::parallel_for(0, B * T, grain(x.size(2) * hd), [&](int64_t b, int64_t e) { fn(args, b, e); });
}

at::Tensor cpu_silu_mul(const at::Tensor& gate_up_in) {
  const at::Tensor gu = gate_up_in.stride(-1) == 1 ? gate_up_in : gate_up_in.contiguous();
  const int64_t I = gu.size(-1) / 2;
  const int64_t rows = I == 0 ? 0 : gu.numel() / gu.size(-1);
  TORCH_CHECK(gu.size(-1) % 2 == 0 && (gu.dim() == 1 || gu.is_contiguous()), "silu_mul: (..., 2I) contiguous");
  auto sizes = gu.sizes().vec();
  sizes.back() = I;
  auto out = at::empty(sizes, gu.options());
  const float* in = gu.data_ptr<float>();
  float* o = out.data_ptr<float>();
  auto fn = CR1_PICK(silu_mul);
  at::parallel_for(0, rows, grain(2 * I), [&](int64_t b, int64_t e) { fn(in, o, I, 2 * I, b, e); });
  return out;
}

}  // namespace cr1::model
