// The shared vector helpers (model/cpu_vector.h) in the baseline build: e^x against std::exp over the
// range the kernels use, exact zeros below it, and the horizontal max and sum.
#include "model/cpu_vector.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

namespace cr1::model::simd {
namespace {

TEST(CpuVector, ExpWithinAFewUlp) {
  float worst = 0;
  for (float x = -86.9f; x < 87.9f; x += 0.0137f) {
    vf16 v = splat(x);
    v[3] = x * 0.5f;
    const vf16 e = vexp(v);
    for (int i : {0, 3}) {
      const float want = std::exp(v[i]);
      worst = std::max(worst, std::abs(e[i] - want) / want);
    }
  }
  EXPECT_LT(worst, 4e-7f);
  const vf16 z = vexp(vf16{-88.0f, -1000.0f, -std::numeric_limits<float>::infinity(), 0.0f});
  EXPECT_EQ(z[0], 0.0f);
  EXPECT_EQ(z[1], 0.0f);
  EXPECT_EQ(z[2], 0.0f);
  EXPECT_EQ(z[3], 1.0f);
}

TEST(CpuVector, HorizontalMaxAndSum) {
  vf16 v;
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>((i * 7) % 16) - 3.0f;
  EXPECT_EQ(hmax(v), 12.0f);
  EXPECT_EQ(hsum(v), 120.0f - 48.0f);
  float buf[16] = {};
  store_partial(buf, load_partial(std::array<float, 3>{1, 2, 3}.data(), 3, -1.0f), 5);
  EXPECT_EQ(buf[2], 3.0f);
  EXPECT_EQ(buf[3], -1.0f);
  EXPECT_EQ(buf[5], 0.0f);
}

TEST(CpuVector, IsaIsStable) { EXPECT_EQ(cpu_isa(), cpu_isa()); }

}  // namespace
}  // namespace cr1::model::simd
