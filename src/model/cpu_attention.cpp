#include "model/cpu_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include "model/cpu_vector.h"

namespace cr1::model {

namespace {

using namespace simd;

// A key block: scores for 16 keys at a time, one vector per query row, no horizontal sums.
constexpr int64_t kKeys = 16;
// Query rows per tile (the G heads of a KV head times consecutive positions): every key block is
// loaded and transposed once per tile. 32 rows keep a tile's state (acc, scores) in L1.
constexpr int64_t kMaxRows = 32;

// A bias at or below this is a masked key (make_attention_bias writes the lowest float there).
constexpr float kMasked = -1e37f;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

struct Geometry {
  int64_t B, H, KV, G, T, L, D;
  int64_t q_b, q_t, q_h;  // strides of q (B, T, H, D)
  int64_t k_b, k_h, k_l;  // of k (B, KV, L, D)
  int64_t v_b, v_h, v_l;
  int64_t bias_b, bias_t;  // of bias (B, 1, T, L)
  int64_t positions;       // per tile: kMaxRows / G, at least 1
  float scale;
};

// The two-source shuffles of a butterfly stage of size b: the low and high halves of each pair of
// b-blocks (shared by the transpose and the reduction below).
#define CR1_LO8 (vi16{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23})
#define CR1_HI8 (vi16{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31})
#define CR1_LO4 (vi16{0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27})
#define CR1_HI4 (vi16{4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31})
#define CR1_LO2 (vi16{0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29})
#define CR1_HI2 (vi16{2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31})
#define CR1_LO1 (vi16{0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30})
#define CR1_HI1 (vi16{1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31})

// Transposes 16 rows of 16 floats in registers: after it, rows[i][j] is the old rows[j][i]. Four
// butterfly stages swap the off-diagonal blocks of size 8, 4, 2, 1.
CR1_SIMD_INLINE void transpose16(vf16* rows) {
#define CR1_STAGE(b, LO, HI)                             \
  for (int i = 0; i < 16; ++i)                           \
    if ((i & (b)) == 0) {                                \
      const vf16 lo = __builtin_shuffle(rows[i], rows[i + (b)], LO); \
      const vf16 hi = __builtin_shuffle(rows[i], rows[i + (b)], HI); \
      rows[i] = lo;                                      \
      rows[i + (b)] = hi;                                \
    }
  CR1_STAGE(8, CR1_LO8, CR1_HI8)
  CR1_STAGE(4, CR1_LO4, CR1_HI4)
  CR1_STAGE(2, CR1_LO2, CR1_HI2)
  CR1_STAGE(1, CR1_LO1, CR1_HI1)
#undef CR1_STAGE
}

// Sums each of 16 vectors over its lanes: lane j of the result is the sum of acc[j]. The transpose's
// stages with an add in place of the swap: 15 two-source shuffle pairs, no per-vector horizontal sum.
CR1_SIMD_INLINE vf16 reduce16(vf16* acc) {
#define CR1_FOLD(n, LO, HI)                                                                       \
  for (int i = 0; i < (n); ++i)                                                                   \
    acc[i] = __builtin_shuffle(acc[i], acc[i + (n)], LO) + __builtin_shuffle(acc[i], acc[i + (n)], HI);
  CR1_FOLD(8, CR1_LO8, CR1_HI8)
  CR1_FOLD(4, CR1_LO4, CR1_HI4)
  CR1_FOLD(2, CR1_LO2, CR1_HI2)
  CR1_FOLD(1, CR1_LO1, CR1_HI1)
#undef CR1_FOLD
  return acc[0];
}
#undef CR1_LO8
#undef CR1_HI8
#undef CR1_LO4
#undef CR1_HI4
#undef CR1_LO2
#undef CR1_HI2
#undef CR1_LO1
#undef CR1_HI1


// Scores of one row against the block's keys read in place (D a multiple of 16): for a tile of few
// rows (decode) this is cheaper than transposing the block, whose cost no other rows would share.
CR1_SIMD_INLINE vf16 row_scores_direct(const float* q, const float* keys, int64_t k_l, int64_t n, int64_t D) {
  vf16 acc[kKeys];
  for (int64_t j = 0; j < kKeys; ++j) {
    vf16 a = {};
    if (j < n)
      for (int64_t c = 0; c < D; c += kKeys) a += load(q + c) * load(keys + j * k_l + c);
    acc[j] = a;
  }
  return reduce16(acc);
}

// Scratch of one tile, per thread.
struct Tile {
  std::vector<float> kt;   // (Dp, 16): the key block transposed, zero past the block's keys
  std::vector<float> vb;   // (16, Dp): the value block padded, when D is not a multiple of 16
  std::vector<float> acc;  // (rows, Dp): unnormalised outputs
  float p[kMaxRows][kKeys];
  vf16 sum[kMaxRows];
  float max[kMaxRows], corr[kMaxRows];
  const float* q[kMaxRows];
  const float* bias[kMaxRows];
};

// s[i] = q_i . k_j over the block for rows [r, r + RC): D FMAs per row, each key block vector loaded
// once for all RC rows.
template <int RC>
CR1_SIMD_INLINE void block_scores(const Tile& tile, int64_t r, int64_t D, vf16* s) {
  vf16 a[RC];
#pragma GCC unroll 16
  for (int i = 0; i < RC; ++i) a[i] = vf16{};
  const float* kt = tile.kt.data();
  for (int64_t d = 0; d < D; ++d) {
    const vf16 k = load(kt + d * kKeys);
#pragma GCC unroll 16
    for (int i = 0; i < RC; ++i) a[i] += tile.q[r + i][d] * k;
  }
#pragma GCC unroll 16
  for (int i = 0; i < RC; ++i) s[i] = a[i];
}

// acc[rows r..r+RC, chunk c] = acc * corr + sum_j p[row][j] * v_j[chunk c].
template <int RC>
CR1_SIMD_INLINE void block_values(Tile& tile, int64_t r, int64_t n, int64_t Dp, int64_t c,
                                                        const float* v, int64_t v_l) {
  vf16 a[RC];
  float* acc = tile.acc.data();
#pragma GCC unroll 16
  for (int i = 0; i < RC; ++i) a[i] = load(acc + (r + i) * Dp + c) * tile.corr[r + i];
  for (int64_t j = 0; j < n; ++j) {
    const vf16 vj = load(v + j * v_l + c);
#pragma GCC unroll 16
    for (int i = 0; i < RC; ++i) a[i] += tile.p[r + i][j] * vj;
  }
#pragma GCC unroll 16
  for (int i = 0; i < RC; ++i) store(acc + (r + i) * Dp + c, a[i]);
}

// One tile: query rows (positions t0.., all G heads of KV head kvh in batch row b) against all keys,
// flash style: a running max, sum and weighted sum per row, so no row of L scores is ever stored and
// keys masked for every row of the tile are never read. RC: rows per register block.
template <int RC>
CR1_SIMD_INLINE void tile_body(const Geometry& g, const float* q, const float* k,
                                                     const float* v, const float* bias, float* out, int64_t unit,
                                                     Tile& tile) {
  const int64_t tiles_per_pair = (g.T + g.positions - 1) / g.positions;
  const int64_t bk = unit / tiles_per_pair, t0 = (unit % tiles_per_pair) * g.positions;
  const int64_t b = bk / g.KV, kvh = bk % g.KV;
  const int64_t tq = std::min(g.positions, g.T - t0), R = tq * g.G;
  const int64_t D = g.D, Dp = (D + kKeys - 1) / kKeys * kKeys;
  const float* keys = k + b * g.k_b + kvh * g.k_h;
  const float* values = v + b * g.v_b + kvh * g.v_h;
  for (int64_t tl = 0; tl < tq; ++tl)
    for (int64_t h = 0; h < g.G; ++h) {
      const int64_t r = tl * g.G + h, t = t0 + tl;
      tile.q[r] = q + b * g.q_b + t * g.q_t + (kvh * g.G + h) * g.q_h;
      tile.bias[r] = bias + b * g.bias_b + t * g.bias_t;
      tile.max[r] = kMinusInf;
      tile.sum[r] = vf16{};
    }
  tile.kt.resize(Dp * kKeys);
  tile.acc.assign(R * Dp, 0.0f);
  if (D % kKeys) tile.vb.assign(kKeys * Dp, 0.0f);
  const float scale = g.scale;

  for (int64_t j0 = 0; j0 < g.L; j0 += kKeys) {
    const int64_t n = std::min(kKeys, g.L - j0);
    // The block's bias per row (-inf where masked or past L); skip the block if no row sees a key.
    vf16 bias_rows[kMaxRows];
    bool any = false;
    for (int64_t r = 0; r < R; r += g.G) {
      vf16 bv;
      if (n == kKeys) {
        bv = load(tile.bias[r] + j0);
      } else {
        bv = splat(kMinusInf);
        for (int64_t j = 0; j < n; ++j) bv[j] = tile.bias[r][j0 + j];
      }
      bv = bv <= kMasked ? splat(kMinusInf) : bv;
      any = any || hmax(bv) != kMinusInf;
      for (int64_t h = 0; h < g.G; ++h) bias_rows[r + h] = bv;
    }
    if (!any) continue;

    // Few rows: scores straight from the keys. Else transpose the block's keys into kt (Dp, 16) once
    // for all rows.
    const bool direct = D % kKeys == 0 && R * 8 <= D;
    if (direct) {
    } else if (D % kKeys == 0) {
      for (int64_t c = 0; c < D; c += kKeys) {
        vf16 rows[kKeys];
        for (int64_t j = 0; j < kKeys; ++j) rows[j] = j < n ? load(keys + (j0 + j) * g.k_l + c) : vf16{};
        transpose16(rows);
        for (int64_t d = 0; d < kKeys; ++d) store(tile.kt.data() + (c + d) * kKeys, rows[d]);
      }
    } else {
      std::fill(tile.kt.begin(), tile.kt.end(), 0.0f);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t d = 0; d < D; ++d) tile.kt[d * kKeys + j] = keys[(j0 + j) * g.k_l + d];
    }

    // Scores and the online softmax update per row.
    for (int64_t r = 0; r < R; r += RC) {
      const int64_t rc = std::min<int64_t>(RC, R - r);
      vf16 s[RC];
      if (direct) {
        for (int64_t i = 0; i < rc; ++i) s[i] = row_scores_direct(tile.q[r + i], keys + j0 * g.k_l, g.k_l, n, D);
      } else switch (rc) {
#define CR1_CASE(N) \
  case N: block_scores<(N <= RC ? N : RC)>(tile, r, D, s); break;
        CR1_CASE(1) CR1_CASE(2) CR1_CASE(3) CR1_CASE(4) CR1_CASE(5) CR1_CASE(6) CR1_CASE(7)
        default: block_scores<RC>(tile, r, D, s);
#undef CR1_CASE
      }
      for (int64_t i = 0; i < rc; ++i) {
        const int64_t row = r + i;
        const vf16 bv = bias_rows[row];
        const vf16 sc = bv == kMinusInf ? bv : s[i] * scale + bv;
        const float block_max = hmax(sc);
        if (block_max == kMinusInf) {  // nothing visible in this block: the row's state stays
          tile.corr[row] = 1.0f;
          store(tile.p[row], vf16{});
          continue;
        }
        const float m = std::max(tile.max[row], block_max);
        const float corr = tile.max[row] == kMinusInf ? 0.0f : std::exp(tile.max[row] - m);
        const vf16 p = vexp(sc - m);
        tile.max[row] = m;
        tile.corr[row] = corr;
        tile.sum[row] = tile.sum[row] * corr + p;
        store(tile.p[row], p);
      }
    }

    // Weighted values.
    const float* vblock = values + j0 * g.v_l;
    int64_t v_l = g.v_l;
    if (D % kKeys) {
      for (int64_t j = 0; j < n; ++j) std::memcpy(tile.vb.data() + j * Dp, vblock + j * g.v_l, D * sizeof(float));
      vblock = tile.vb.data();
      v_l = Dp;
    }
    for (int64_t c = 0; c < Dp; c += kKeys)
      for (int64_t r = 0; r < R; r += RC) {
        switch (std::min<int64_t>(RC, R - r)) {
#define CR1_CASE(N) \
  case N: block_values<(N <= RC ? N : RC)>(tile, r, n, Dp, c, vblock, v_l); break;
          CR1_CASE(1) CR1_CASE(2) CR1_CASE(3) CR1_CASE(4) CR1_CASE(5) CR1_CASE(6) CR1_CASE(7)
          default: block_values<RC>(tile, r, n, Dp, c, vblock, v_l);
#undef CR1_CASE
        }
      }
  }

  for (int64_t tl = 0; tl < tq; ++tl)
    for (int64_t h = 0; h < g.G; ++h) {
      const int64_t r = tl * g.G + h;
      float* o = out + ((b * g.T + t0 + tl) * g.H + kvh * g.G + h) * D;
      const float* a = tile.acc.data() + r * Dp;
      const float total = hsum(tile.sum[r]);
      if (tile.max[r] == kMinusInf) {
        // The query sees no key: all its scores equal the bias, and the reference averages every key.
        std::fill(o, o + D, 0.0f);
        for (int64_t j = 0; j < g.L; ++j)
          for (int64_t d = 0; d < D; ++d) o[d] += values[j * g.v_l + d];
        for (int64_t d = 0; d < D; ++d) o[d] /= static_cast<float>(g.L);
        continue;
      }
      const float inv = 1.0f / total;
      for (int64_t d = 0; d < D; ++d) o[d] = a[d] * inv;
    }
}

void tiles_default(const Geometry& g, const float* q, const float* k, const float* v, const float* bias, float* out,
                   int64_t begin, int64_t end) {
  static thread_local Tile tile;
  for (int64_t u = begin; u < end; ++u) tile_body<2>(g, q, k, v, bias, out, u, tile);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) void tiles_avx2(const Geometry& g, const float* q, const float* k, const float* v,
                                                    const float* bias, float* out, int64_t begin, int64_t end) {
  static thread_local Tile tile;
  for (int64_t u = begin; u < end; ++u) tile_body<4>(g, q, k, v, bias, out, u, tile);
}
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma"))) void tiles_avx512(
    const Geometry& g, const float* q, const float* k, const float* v, const float* bias, float* out, int64_t begin,
    int64_t end) {
  static thread_local Tile tile;
  for (int64_t u = begin; u < end; ++u) tile_body<8>(g, q, k, v, bias, out, u, tile);
}
#else
constexpr auto tiles_avx2 = tiles_default;
constexpr auto tiles_avx512 = tiles_default;
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
  TORCH_CHECK(g.G <= kMaxRows, "attention: more than ", kMaxRows, " query heads per KV head");
  g.q_b = q.stride(0), g.q_t = q.stride(1), g.q_h = q.stride(2);
  g.k_b = k.stride(0), g.k_h = k.stride(1), g.k_l = k.stride(2);
  g.v_b = v.stride(0), g.v_h = v.stride(1), g.v_l = v.stride(2);
  g.bias_b = bias.size(0) == 1 ? 0 : bias.stride(0);
  g.bias_t = bias.stride(2);
  g.positions = std::max<int64_t>(1, kMaxRows / g.G);
  g.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(g.D)));

  auto out = at::empty({g.B, g.T, g.H * g.D}, q.options());
  const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>(),
              *bp = bias.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t units = g.B * g.KV * ((g.T + g.positions - 1) / g.positions);
  const auto isa = cpu_isa();
  const auto tiles = isa == Isa::kAvx512 ? tiles_avx512 : isa == Isa::kAvx2 ? tiles_avx2 : tiles_default;
  at::parallel_for(0, units, 1, [&](int64_t begin, int64_t end) { tiles(g, qp, kp, vp, bp, op, begin, end); });
  return out;
}

}  // namespace cr1::model
