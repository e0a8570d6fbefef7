// The few-rows matrix product of CPU decode steps (model/small_gemm.h): equal to at::linear within f32
// rounding for shapes with and without vector tails, with and without bias, on one thread and two; and
// a row's result is bit-identical whatever rows share the call (speculative drafts change nothing).
#include "model/small_gemm.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

namespace cr1::model {
namespace {

at::Tensor run(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  auto y = at::empty({x.size(0), w.size(0)});
  small_gemm(x.data_ptr<float>(), x.size(0), w.data_ptr<float>(), b.defined() ? b.data_ptr<float>() : nullptr,
             y.data_ptr<float>(), w.size(0), w.size(1));
  return y;
}

TEST(SmallGemm, MatchesLinear) {
  if (!small_gemm_available()) GTEST_SKIP() << "no AVX2/FMA";
  at::manual_seed(7);
  const int saved = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (auto [out, in] : {std::pair<int64_t, int64_t>{7, 37}, {40, 24}, {1, 8}, {1030, 256}, {64, 704}})
      for (int64_t rows : {1, 2, 3, 5, 16}) {
        auto x = at::randn({rows, in}), w = at::randn({out, in}), b = at::randn({out});
        EXPECT_LT((run(x, w, b) - at::linear(x, w, b)).abs().max().item<float>(), 1e-4 * std::sqrt(in))
            << out << "x" << in << " rows " << rows << " threads " << threads;
        EXPECT_LT((run(x, w, {}) - at::linear(x, w)).abs().max().item<float>(), 1e-4 * std::sqrt(in));
      }
  }
  at::set_num_threads(saved);
}

TEST(SmallGemm, ARowDoesNotDependOnItsCompany) {
  if (!small_gemm_available()) GTEST_SKIP() << "no AVX2/FMA";
  at::manual_seed(8);
  auto x = at::randn({5, 100}), w = at::randn({21, 100}), b = at::randn({21});
  auto all = run(x, w, b);
  for (int64_t r = 0; r < 5; ++r) EXPECT_TRUE(at::equal(run(x.narrow(0, r, 1).contiguous(), w, b), all.narrow(0, r, 1))) << r;
}

// bf16 weights (a bf16 checkpoint): the same sums as over the widened f32 weights, bit for bit.
TEST(SmallGemm, Bf16WeightsEqualTheirF32Widening) {
  if (!small_gemm_available()) GTEST_SKIP() << "no AVX2/FMA";
  at::manual_seed(9);
  for (auto [out, in] : {std::pair<int64_t, int64_t>{7, 37}, {40, 24}, {64, 704}})
    for (int64_t rows : {1, 2, 3, 16}) {
      auto x = at::randn({rows, in}), b = at::randn({out});
      auto w16 = at::randn({out, in}).to(at::kBFloat16).contiguous();
      auto y = at::empty({rows, out});
      small_gemm(x.data_ptr<float>(), rows, reinterpret_cast<const uint16_t*>(w16.data_ptr<at::BFloat16>()),
                 b.data_ptr<float>(), y.data_ptr<float>(), out, in);
      EXPECT_TRUE(at::equal(y, run(x, w16.to(at::kFloat).contiguous(), b))) << out << "x" << in << " rows " << rows;
    }
}

}  // namespace
}  // namespace cr1::model
