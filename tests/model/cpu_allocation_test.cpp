// keep_cpu_allocations (model/cpu_allocation.h): the thresholds take under glibc, and asking again is
// harmless; a model on the CPU sets them.
#include "model/cpu_allocation.h"

#include <gtest/gtest.h>

#include <vector>

#include "model/language_model.h"
#include "model_test_helpers.h"

namespace cr1::model {
namespace {

TEST(CpuAllocation, ThresholdsTakeOnceAndStay) {
#if defined(__GLIBC__)
  EXPECT_TRUE(keep_cpu_allocations());
  EXPECT_TRUE(keep_cpu_allocations());
#else
  EXPECT_FALSE(keep_cpu_allocations());
#endif
  // Large blocks still allocate, free and reallocate normally.
  for (int i = 0; i < 3; ++i) {
    std::vector<float> big(4 << 20, 1.0f);
    EXPECT_EQ(big[12345], 1.0f);
  }
}

TEST(CpuAllocation, ACpuModelRunsWithThem) {
  auto model = LanguageModel::create(test::tiny_config(), 3, {});
  ASSERT_TRUE(model);
  auto logits = model->logits(std::vector<TokenId>{1, 2, 3});
  ASSERT_TRUE(logits);
  EXPECT_FALSE(logits->empty());
}

}  // namespace
}  // namespace cr1::model
