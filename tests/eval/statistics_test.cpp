#include "eval/statistics.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace cr1::eval {
namespace {

TEST(Statistics, MeanAndSampleSd) {
  std::vector<double> xs = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(mean(xs), 2.5);
  EXPECT_NEAR(sample_sd(xs), std::sqrt(5.0 / 3.0), 1e-12);  // squares 2.25+0.25+0.25+2.25 = 5, over n-1
  EXPECT_TRUE(std::isnan(mean(std::vector<double>{})));
  EXPECT_TRUE(std::isnan(sample_sd(std::vector<double>{7})));
}

TEST(Statistics, TCriticalMatchesTables) {
  EXPECT_DOUBLE_EQ(t_critical(1), 12.706);
  EXPECT_DOUBLE_EQ(t_critical(3), 3.182);
  EXPECT_DOUBLE_EQ(t_critical(30), 2.042);
  // Past the table: computed from the t distribution (textbook values).
  EXPECT_NEAR(t_critical(40), 2.021, 1e-3);
  EXPECT_NEAR(t_critical(60), 2.000, 1e-3);
  EXPECT_NEAR(t_critical(120), 1.980, 1e-3);
  EXPECT_NEAR(t_critical(1e7), 1.960, 1e-3);
  EXPECT_NEAR(t_critical(5, 0.99), 4.032, 1e-3);
  EXPECT_NEAR(t_critical(10, 0.90), 1.812, 1e-3);
  // The computed path agrees with the table it replaces.
  EXPECT_NEAR(t_critical(1, 0.95 + 1e-15), 12.706, 2e-3);
  EXPECT_NEAR(t_critical(7, 0.95 + 1e-15), 2.365, 1e-3);
  // Non-integer df (Welch) falls between its neighbours.
  double t = t_critical(10.5);
  EXPECT_LT(t, 2.228);
  EXPECT_GT(t, 2.201);
  EXPECT_TRUE(std::isnan(t_critical(0)));
}

TEST(Statistics, ConfidenceInterval) {
  std::vector<double> xs = {1, 2, 3, 4};
  auto ci = confidence_interval(xs);
  EXPECT_EQ(ci.n, 4u);
  EXPECT_DOUBLE_EQ(ci.mean, 2.5);
  // 3.182 * 1.2910 / 2 = 2.0540
  EXPECT_NEAR(ci.half_width, 3.182 * std::sqrt(5.0 / 3.0) / 2, 1e-12);
  EXPECT_NEAR(ci.half_width, 2.0540, 1e-4);
  EXPECT_NEAR(ci.low(), 0.4460, 1e-4);
  auto one = confidence_interval(std::vector<double>{0.3});
  EXPECT_DOUBLE_EQ(one.mean, 0.3);
  EXPECT_TRUE(std::isnan(one.half_width));
  auto same = confidence_interval(std::vector<double>{2, 2, 2});
  EXPECT_DOUBLE_EQ(same.half_width, 0);
}

TEST(Statistics, MeanOfMeans) {
  // One group is the plain t interval.
  GroupSample g{2.5, std::sqrt(5.0 / 3.0), 4};
  auto one = mean_of_means_interval(std::span<const GroupSample>(&g, 1));
  EXPECT_NEAR(one.half_width, 3.182 * std::sqrt(5.0 / 3.0) / 2, 1e-9);
  // Two groups: mean 2, var = 1/4 + 4/9, df = var^2 / ((1/4)^2/3 + (4/9)^2/8) = 10.593.
  std::vector<GroupSample> two = {{1, 1, 4}, {3, 2, 9}};
  auto r = mean_of_means_interval(two);
  EXPECT_DOUBLE_EQ(r.mean, 2);
  EXPECT_EQ(r.n, 13u);
  double var = 0.25 + 4.0 / 9.0, df = var * var / (0.0625 / 3 + (16.0 / 81.0) / 8);
  EXPECT_NEAR(df, 10.593, 1e-3);
  EXPECT_NEAR(r.half_width, t_critical(df) * std::sqrt(var) / 2, 1e-12);
  EXPECT_NEAR(r.half_width, 0.922, 2e-3);  // t(10.59) ~ 2.212
  // A group of one has no spread estimate: no interval.
  std::vector<GroupSample> thin = {{1, 1, 4}, {3, NAN, 1}};
  EXPECT_TRUE(std::isnan(mean_of_means_interval(thin).half_width));
}

TEST(Statistics, PercentilesAndGeomean) {
  std::vector<double> xs = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(median(xs), 2.5);
  EXPECT_DOUBLE_EQ(percentile(xs, 0.9), 3.7);  // rank 2.7 between 3 and 4
  EXPECT_DOUBLE_EQ(percentile(xs, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(xs, 1), 4);
  EXPECT_DOUBLE_EQ(median(std::vector<double>{3, 1, 2}), 2);
  EXPECT_NEAR(geomean(std::vector<double>{1, 4}), 2, 1e-12);
  EXPECT_NEAR(geomean(std::vector<double>{0.5, 2, 8}), 2, 1e-12);
  EXPECT_TRUE(std::isnan(geomean(std::vector<double>{1, 0})));
}

}  // namespace
}  // namespace cr1::eval
