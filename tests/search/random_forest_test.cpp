#include "search/random_forest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace cr1::search {
namespace {

// y = 1 when x0 > 0.5, else 0, plus small noise; x1..x4 are uninformative.
struct StepData {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  explicit StepData(size_t n, uint64_t seed = 42) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> noise(0, 0.05);
    for (size_t i = 0; i < n; ++i) {
      std::vector<double> row(5);
      for (double& v : row) v = u(rng);
      x.push_back(row);
      y.push_back((row[0] > 0.5 ? 1.0 : 0.0) + noise(rng));
    }
  }
};

TEST(RandomForest, FitsAStepFunction) {
  StepData data(300);
  RandomForest forest({.trees = 40});
  std::mt19937_64 rng(1);
  forest.fit(data.x, data.y, rng);
  ASSERT_TRUE(forest.trained());
  for (double x0 : {0.05, 0.2, 0.4}) {
    std::vector<double> row = {x0, 0.5, 0.5, 0.5, 0.5};
    EXPECT_NEAR(forest.predict(row).mean, 0.0, 0.15) << x0;
  }
  for (double x0 : {0.6, 0.8, 0.95}) {
    std::vector<double> row = {x0, 0.5, 0.5, 0.5, 0.5};
    EXPECT_NEAR(forest.predict(row).mean, 1.0, 0.15) << x0;
  }
  // Trees disagree most near the step.
  std::vector<double> at_step = {0.5, 0.5, 0.5, 0.5, 0.5}, far = {0.1, 0.5, 0.5, 0.5, 0.5};
  EXPECT_GT(forest.predict(at_step).spread, forest.predict(far).spread);
}

TEST(RandomForest, ImportanceRanksTheInformativeFeatureFirst) {
  StepData data(200);
  RandomForest forest;
  std::mt19937_64 rng(2);
  forest.fit(data.x, data.y, rng);
  const auto& imp = forest.importance();
  ASSERT_EQ(imp.size(), 5u);
  EXPECT_EQ(std::max_element(imp.begin(), imp.end()) - imp.begin(), 0);
  EXPECT_GT(imp[0], 0.5);
  double total = 0;
  for (double v : imp) total += v;
  EXPECT_NEAR(total, 1.0, 1e-9);
}

TEST(RandomForest, DeterministicBySeed) {
  StepData data(100);
  RandomForest a, b, c;
  std::mt19937_64 r1(7), r2(7), r3(8);
  a.fit(data.x, data.y, r1);
  b.fit(data.x, data.y, r2);
  c.fit(data.x, data.y, r3);
  bool differs = false;
  for (size_t i = 0; i < data.x.size(); ++i) {
    std::vector<double> probe = data.x[i];
    probe[1] = 1 - probe[1];
    EXPECT_EQ(a.predict(probe).mean, b.predict(probe).mean);
    EXPECT_EQ(a.predict(probe).spread, b.predict(probe).spread);
    differs |= a.predict(probe).mean != c.predict(probe).mean;
  }
  EXPECT_EQ(a.importance(), b.importance());
  EXPECT_TRUE(differs);  // the seed matters
}

TEST(RandomForest, UntrainedAndConstantTargets) {
  RandomForest forest;
  std::mt19937_64 rng(3);
  std::vector<double> row = {1, 2};
  EXPECT_FALSE(forest.trained());
  EXPECT_EQ(forest.predict(row).mean, 0.0);
  forest.fit({{1, 2}, {3, 4}, {5, 6}}, std::vector<double>{2, 2, 2}, rng);
  ASSERT_TRUE(forest.trained());
  EXPECT_DOUBLE_EQ(forest.predict(row).mean, 2.0);
  EXPECT_DOUBLE_EQ(forest.predict(row).spread, 0.0);
  for (double v : forest.importance()) EXPECT_EQ(v, 0.0);
}

TEST(RandomForest, ExpectedImprovement) {
  // No spread: the plain gap, never negative.
  EXPECT_DOUBLE_EQ(expected_improvement({.mean = 0.8, .spread = 0}, 1.0), 0.2);
  EXPECT_DOUBLE_EQ(expected_improvement({.mean = 1.2, .spread = 0}, 1.0), 0.0);
  // At the incumbent, EI = sigma * phi(0).
  EXPECT_NEAR(expected_improvement({.mean = 1.0, .spread = 0.5}, 1.0), 0.5 / std::sqrt(2 * M_PI), 1e-12);
  // More uncertainty, more EI for a worse mean.
  EXPECT_GT(expected_improvement({.mean = 1.2, .spread = 0.4}, 1.0), expected_improvement({.mean = 1.2, .spread = 0.1}, 1.0));
}

TEST(RandomForest, SequenceFeatures) {
  auto f = sequence_features({2, 0, 2}, 3);
  ASSERT_EQ(f.size(), 7u);
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(f[1], 0);
  EXPECT_EQ(f[2], 2);
  EXPECT_DOUBLE_EQ(f[3], 2.0 / 3);          // action 0 at index 1
  EXPECT_DOUBLE_EQ(f[5], 1.0 + 1.0 / 3);    // action 2 at indices 0 and 2
  EXPECT_EQ(f[6], 3);
}

TEST(RandomForest, SequenceModelLogTargetsCappedAtTheUnoptimizedCount) {
  SequenceModel model(3, /*oz_count=*/100, /*base_count=*/200);
  EXPECT_DOUBLE_EQ(model.target(100), 0.0);
  EXPECT_DOUBLE_EQ(model.target(50), std::log(0.5));
  EXPECT_DOUBLE_EQ(model.target(100000), std::log(2.0));  // a blow-up is just "as bad as unoptimized"
  EXPECT_DOUBLE_EQ(model.target(std::nullopt), std::log(2.0));
}

TEST(RandomForest, SequenceModelLearnsWhichActionHelpsAndRanksTheBest) {
  // Action 1 halves the count wherever it appears; the others do nothing.
  SequenceModel model(4, 100, 200, {.trees = 20});
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> action(0, 3);
  for (int i = 0; i < 60; ++i) {
    Genome g(static_cast<size_t>(1 + i % 5));
    for (int& a : g) a = action(rng);
    bool has1 = std::find(g.begin(), g.end(), 1) != g.end();
    model.add(g, has1 ? 50 : 100);
  }
  model.add({2, 2}, std::nullopt);  // a failure is never "best"
  model.fit(rng);
  EXPECT_DOUBLE_EQ(model.best(), std::log(0.5));
  EXPECT_LT(model.predict({0, 1, 3}).mean, model.predict({0, 2, 3}).mean - 0.3);
  auto imp = model.importance();
  EXPECT_EQ(std::max_element(imp.begin(), imp.end()) - imp.begin(), 1);
  auto top = model.top(3);
  ASSERT_EQ(top.size(), 3u);
  for (const Genome& g : top) EXPECT_NE(std::find(g.begin(), g.end(), 1), g.end());
  EXPECT_LE(top[0].size(), top[1].size());  // ties go to the shorter sequence
}

}  // namespace
}  // namespace cr1::search
