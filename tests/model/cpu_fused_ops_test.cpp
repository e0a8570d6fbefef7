// The fused CPU f32 elementwise kernels (model/cpu_fused_ops.h) against the ATen formulas of
// model/qwen2_model.h: odd and vector-sized rows, strided inputs, and only for f32 inference.
#include "model/cpu_fused_ops.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "model/qwen2_model.h"

namespace cr1::model {
namespace {

float max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<float>(); }

TEST(CpuFusedOps, RmsNormMatchesTheAtenFormula) {
  c10::InferenceMode guard;
  at::manual_seed(5);
  for (int64_t D : {8, 13, 64, 256, 257}) {
    auto x = at::randn({3, 5, D});
    auto w = at::randn({D});
    EXPECT_LT(max_diff(cpu_rms_norm(x, w, 1e-6), rms_norm(x, w, 1e-6)), 2e-5) << D;
    // A strided input (every other row).
    auto xs = at::randn({10, D}).narrow(0, 0, 10).slice(0, 0, 10, 2);
    EXPECT_LT(max_diff(cpu_rms_norm(xs, w, 1e-6), rms_norm(xs, w, 1e-6)), 2e-5) << D;
  }
}

TEST(CpuFusedOps, AddRmsNormUpdatesTheResidual) {
  c10::InferenceMode guard;
  at::manual_seed(6);
  for (int64_t D : {16, 40, 256}) {
    auto x = at::randn({2, 7, D});
    auto d = at::randn({2, 7, D});
    auto w = at::randn({D});
    auto sum = x + d;
    auto normed = cpu_add_rms_norm(x, d, w, 1e-6);
    EXPECT_LT(max_diff(x, sum), 1e-6) << D;
    EXPECT_LT(max_diff(normed, rms_norm(sum, w, 1e-6)), 2e-5) << D;
  }
}

TEST(CpuFusedOps, RotaryInPlaceMatchesApplyRotary) {
  c10::InferenceMode guard;
  at::manual_seed(7);
  for (int64_t hd : {8, 12, 64, 96}) {
    const int64_t B = 2, T = 5, heads = 3;
    auto [cos_t, sin_t] = rotary_tables(32, hd, 10000.0);
    auto pos = at::randint(0, 32, {B * T}, at::TensorOptions().dtype(at::kLong));
    auto cos = cos_t.index_select(0, pos), sin = sin_t.index_select(0, pos);
    // As the model uses it: a head slice of a wider (B, T, heads + 2, hd) tensor.
    auto wide = at::randn({B, T, heads + 2, hd});
    auto x = wide.narrow(2, 0, heads);
    auto want = apply_rotary(x, cos.view({B, T, 1, hd}), sin.view({B, T, 1, hd}));
    auto untouched = wide.narrow(2, heads, 2).clone();
    cpu_rotary_(x, cos, sin);
    EXPECT_LT(max_diff(x, want), 1e-5) << hd;
    EXPECT_TRUE(at::equal(wide.narrow(2, heads, 2), untouched)) << hd;
  }
}

TEST(CpuFusedOps, SiluMulMatchesAten) {
  c10::InferenceMode guard;
  at::manual_seed(8);
  for (int64_t I : {5, 16, 704, 37}) {
    auto gu = at::randn({2, 3, 2 * I}) * 4;
    gu[0][0][0] = -100.0f;  // far negative: silu is about 0
    gu[0][0][1] = 100.0f;
    auto want = at::silu(gu.narrow(-1, 0, I)) * gu.narrow(-1, I, I);
    auto ours = cpu_silu_mul(gu);
    ASSERT_EQ(ours.sizes(), want.sizes());
    EXPECT_LT(((ours - want).abs() / (want.abs() + 1)).max().item<float>(), 2e-6) << I;
  }
}

TEST(CpuFusedOps, OnlyForCpuFloatInference) {
  auto x = at::zeros({2, 8});
  {
    c10::InferenceMode guard;
    EXPECT_TRUE(cpu_fused_applies(x));
    EXPECT_FALSE(cpu_fused_applies(x.to(at::kDouble)));
  }
  c10::AutoGradMode grad(true);
  EXPECT_FALSE(cpu_fused_applies(x));
}

}  // namespace
}  // namespace cr1::model
