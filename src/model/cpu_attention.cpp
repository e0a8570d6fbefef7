#include "model/cpu_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

namespace cr1::model {

namespace {

// The helpers below pass vectors by value but are always inlined: no call, so no ABI to change.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// Eight floats; GCC lowers it to one AVX register, or two SSE ones in the baseline build.
typedef float vf8 __attribute__((vector_size(32)));

// A bias at or below this is a masked key (make_attention_bias writes the lowest float there). Its
// score is the bias itself: lowest + a moderate number rounds to lowest.
constexpr float kMasked = -1e37f;

// Query block: rows of scores computed, soft-maxed and used together (G * kBlock rows of L floats).
constexpr int64_t kBlock = 64;

struct Geometry {
  int64_t B, H, KV, G, T, L, D;
  int64_t q_b, q_t, q_h;  // strides of q (B, T, H, D)
  int64_t k_b, k_h, k_l;  // of k (B, KV, L, D)
  int64_t v_b, v_h, v_l;
  int64_t bias_b, bias_t;  // of bias (B, 1, T, L)
  float scale;
};

__attribute__((always_inline)) inline vf8 load(const float* p) {
  vf8 x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

typedef int vi8 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline float hsum(vf8 v) {
#if defined(__clang__)
  v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3);
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5);
  v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6);
#else
  v += __builtin_shuffle(v, vi8{4, 5, 6, 7, 0, 1, 2, 3});
  v += __builtin_shuffle(v, vi8{2, 3, 0, 1, 6, 7, 4, 5});
  v += __builtin_shuffle(v, vi8{1, 0, 3, 2, 5, 4, 7, 6});
#endif
  return v[0];
}

__attribute__((always_inline)) inline float dot(const float* a, const float* b, int64_t n) {
  vf8 acc0 = {}, acc1 = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 += load(a + i) * load(b + i);
    acc1 += load(a + i + 8) * load(b + i + 8);
  }
  for (; i + 8 <= n; i += 8) acc0 += load(a + i) * load(b + i);
  acc0 += acc1;
  float s = ((acc0[0] + acc0[4]) + (acc0[1] + acc0[5])) + ((acc0[2] + acc0[6]) + (acc0[3] + acc0[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y += a * x
__attribute__((always_inline)) inline void axpy(float a, const float* x, float* y, int64_t n) {
  const vf8 av = {a, a, a, a, a, a, a, a};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    vf8 yv = load(y + i) + av * load(x + i);
    std::memcpy(y + i, &yv, sizeof yv);
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// Scores of the query block [t0, t0 + tb) for the (batch, KV head) pairs [begin, end): S rows
// tl * G + g of pair bk hold scale * q.k + bias over the L keys.
__attribute__((always_inline)) inline void scores_body(const Geometry& g, const float* q, const float* k,
                                                       const float* bias, float* S, int64_t t0, int64_t tb,
                                                       int64_t begin, int64_t end) {
  for (int64_t bk = begin; bk < end; ++bk) {
    const int64_t b = bk / g.KV, kvh = bk % g.KV;
    const float* keys = k + b * g.k_b + kvh * g.k_h;
    for (int64_t tl = 0; tl < tb; ++tl) {
      const int64_t t = t0 + tl;
      const float* brow = bias + b * g.bias_b + t * g.bias_t;
      const float* qrow = q + b * g.q_b + t * g.q_t + kvh * g.G * g.q_h;
      float* srow = S + (bk * tb + tl) * g.G * g.L;
      if (g.D == 64) {  // Qwen2's head size in small configs: the query row stays in registers
        for (int64_t h = 0; h < g.G; ++h) {
          const float* qh = qrow + h * g.q_h;
          const vf8 q0 = load(qh), q1 = load(qh + 8), q2 = load(qh + 16), q3 = load(qh + 24), q4 = load(qh + 32),
                    q5 = load(qh + 40), q6 = load(qh + 48), q7 = load(qh + 56);
          float* out = srow + h * g.L;
          for (int64_t j = 0; j < g.L; ++j) {
            const float bj = brow[j];
            if (bj <= kMasked) {
              out[j] = bj;
              continue;
            }
            const float* kj = keys + j * g.k_l;
            const vf8 a = (q0 * load(kj) + q1 * load(kj + 8)) + (q2 * load(kj + 16) + q3 * load(kj + 24));
            const vf8 b = (q4 * load(kj + 32) + q5 * load(kj + 40)) + (q6 * load(kj + 48) + q7 * load(kj + 56));
            out[j] = hsum(a + b) * g.scale + bj;
          }
        }
        continue;
      }
      for (int64_t j = 0; j < g.L; ++j) {
        const float bj = brow[j];
        if (bj <= kMasked) {
          for (int64_t h = 0; h < g.G; ++h) srow[h * g.L + j] = bj;
          continue;
        }
        const float* kj = keys + j * g.k_l;
        for (int64_t h = 0; h < g.G; ++h) srow[h * g.L + j] = dot(qrow + h * g.q_h, kj, g.D) * g.scale + bj;
      }
    }
  }
}

// out[b, t, h * D ...] = sum_j P[row, j] * v[j] for the same rows; zero probabilities skipped.
__attribute__((always_inline)) inline void values_body(const Geometry& g, const float* P, const float* v, float* out,
                                                       int64_t t0, int64_t tb, int64_t begin, int64_t end) {
  for (int64_t bk = begin; bk < end; ++bk) {
    const int64_t b = bk / g.KV, kvh = bk % g.KV;
    const float* values = v + b * g.v_b + kvh * g.v_h;
    for (int64_t tl = 0; tl < tb; ++tl) {
      const int64_t t = t0 + tl;
      const float* prow = P + (bk * tb + tl) * g.G * g.L;
      float* orow = out + ((b * g.T + t) * g.H + kvh * g.G) * g.D;  // G heads side by side
      if (g.D == 64) {  // the output row stays in registers
        for (int64_t h = 0; h < g.G; ++h) {
          vf8 a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};
          const float* ph = prow + h * g.L;
          for (int64_t j = 0; j < g.L; ++j) {
            const float p = ph[j];
            if (p == 0.0f) continue;
            const vf8 pv = {p, p, p, p, p, p, p, p};
            const float* vj = values + j * g.v_l;
            a0 += pv * load(vj);
            a1 += pv * load(vj + 8);
            a2 += pv * load(vj + 16);
            a3 += pv * load(vj + 24);
            a4 += pv * load(vj + 32);
            a5 += pv * load(vj + 40);
            a6 += pv * load(vj + 48);
            a7 += pv * load(vj + 56);
          }
          float* o = orow + h * g.D;
          for (const vf8* a : {&a0, &a1, &a2, &a3, &a4, &a5, &a6, &a7}) {
            std::memcpy(o, a, sizeof *a);
            o += 8;
          }
        }
        continue;
      }
      std::fill(orow, orow + g.G * g.D, 0.0f);
      for (int64_t j = 0; j < g.L; ++j) {
        const float* vj = values + j * g.v_l;
        for (int64_t h = 0; h < g.G; ++h)
          if (const float p = prow[h * g.L + j]; p != 0.0f) axpy(p, vj, orow + h * g.D, g.D);
      }
    }
  }
}

void scores_default(const Geometry& g, const float* q, const float* k, const float* bias, float* S, int64_t t0,
                    int64_t tb, int64_t begin, int64_t end) {
  scores_body(g, q, k, bias, S, t0, tb, begin, end);
}
void values_default(const Geometry& g, const float* P, const float* v, float* out, int64_t t0, int64_t tb,
                    int64_t begin, int64_t end) {
  values_body(g, P, v, out, t0, tb, begin, end);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) void scores_avx2(const Geometry& g, const float* q, const float* k,
                                                     const float* bias, float* S, int64_t t0, int64_t tb,
                                                     int64_t begin, int64_t end) {
  scores_body(g, q, k, bias, S, t0, tb, begin, end);
}
__attribute__((target("avx2,fma"))) void values_avx2(const Geometry& g, const float* P, const float* v, float* out,
                                                     int64_t t0, int64_t tb, int64_t begin, int64_t end) {
  values_body(g, P, v, out, t0, tb, begin, end);
}
bool use_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#else
constexpr auto scores_avx2 = scores_default;
constexpr auto values_avx2 = values_default;
bool use_avx2() { return false; }
#endif

}  // namespace

bool cpu_attention_applies(const at::Tensor& q) {
  return q.device().is_cpu() && q.scalar_type() == at::kFloat && !at::GradMode::is_enabled();
}

at::Tensor cpu_grouped_attention(const at::Tensor& q_in, const at::Tensor& k_in, const at::Tensor& v_in,
                                 const at::Tensor& bias_in) {
  auto last_contiguous = [](const at::Tensor& t) { return t.stride(-1) == 1 ? t : t.contiguous(); };
  const at::Tensor q = last_contiguous(q_in), k = last_contiguous(k_in), v = last_contiguous(v_in),
                   bias = last_contiguous(bias_in.to(at::kFloat));
  Geometry g{};
  g.B = q.size(0);
  g.T = q.size(1);
  g.H = q.size(2);
  g.D = q.size(3);
  g.KV = k.size(1);
  g.L = k.size(2);
  TORCH_CHECK(g.KV > 0 && g.H % g.KV == 0, "attention: ", g.H, " query heads over ", g.KV, " KV heads");
  TORCH_CHECK(k.size(0) == g.B && v.sizes() == k.sizes() && k.size(3) == g.D, "attention: k/v shapes");
  TORCH_CHECK(bias.size(-1) == g.L && bias.size(-2) == g.T, "attention: bias shape");
  g.G = g.H / g.KV;
  g.q_b = q.stride(0), g.q_t = q.stride(1), g.q_h = q.stride(2);
  g.k_b = k.stride(0), g.k_h = k.stride(1), g.k_l = k.stride(2);
  g.v_b = v.stride(0), g.v_h = v.stride(1), g.v_l = v.stride(2);
  g.bias_b = bias.size(0) == 1 ? 0 : bias.stride(0);
  g.bias_t = bias.stride(2);
  g.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(g.D)));

  auto out = at::empty({g.B, g.T, g.H * g.D}, q.options());
  const bool avx2 = use_avx2();
  const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>(),
              *bp = bias.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t pairs = g.B * g.KV;
  for (int64_t t0 = 0; t0 < g.T; t0 += kBlock) {
    const int64_t tb = std::min(kBlock, g.T - t0);
    auto S = at::empty({pairs * tb * g.G, g.L}, q.options());
    float* sp = S.data_ptr<float>();
    at::parallel_for(0, pairs, 1, [&](int64_t begin, int64_t end) {
      (avx2 ? scores_avx2 : scores_default)(g, qp, kp, bp, sp, t0, tb, begin, end);
    });
    auto P = at::softmax(S, -1);
    const float* pp = P.data_ptr<float>();
    at::parallel_for(0, pairs, 1, [&](int64_t begin, int64_t end) {
      (avx2 ? values_avx2 : values_default)(g, pp, vp, op, t0, tb, begin, end);
    });
  }
  return out;
}

}  // namespace cr1::model
