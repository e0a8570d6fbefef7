// A small regression forest (Breiman 2001): bagged CART trees with feature
// subsampling at every split. It is the surrogate of the model-based tuners
// (BOCA, CompTuner), which need three things from it: a mean prediction, an
// uncertainty (the spread of the per-tree predictions, as in SMAC/BOCA) and
// feature importances (mean decrease in impurity) to rank passes.
//
// Splits are searched on per-feature histograms (at most max_bins quantile
// bins, exact for features with few distinct values such as pass counts), so a
// refit costs O(trees * depth * max_features * n) and the tuners can afford to
// retrain after every batch.
//
// Also here: the encoding of a pass sequence as a feature vector, shared by
// the tuners that feed sequences to the forest.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "search/action_space.h"

namespace cr1::search {

// SplitMix64 (Steele, Lea and Flood 2014): a tiny, fast generator for inner
// loops that draw per feature or per dimension, seeded from the caller's
// engine, where std::mt19937_64 plus a distribution dominated the run time.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) by multiply-shift (Lemire; the bias is negligible here).
  size_t below(size_t n) { return static_cast<size_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

struct ForestOptions {
  int trees = 30;
  int max_depth = 12;
  int min_samples_leaf = 1;
  double max_features = 1.0 / 3;  // fraction of the features tried per split (Breiman's default for regression)
  int max_bins = 32;              // histogram bins per feature, at most 255
  bool bootstrap = true;
};

struct ForestPrediction {
  double mean = 0;
  double spread = 0;  // standard deviation of the per-tree predictions
};

class RandomForest {
 public:
  explicit RandomForest(ForestOptions options = {}) : opt_(options) {}

  // Fits on rows x (all of one width) and targets y; all randomness (bootstrap,
  // feature subsets) comes from rng, so a fit is deterministic by its seed.
  // An empty x leaves the forest untrained.
  void fit(const std::vector<std::vector<double>>& x, std::span<const double> y, std::mt19937_64& rng);

  bool trained() const { return !trees_.empty(); }
  size_t num_features() const { return cuts_.size(); }
  const ForestOptions& options() const { return opt_; }

  // Prediction for one row (width num_features()); {0, 0} when untrained.
  ForestPrediction predict(std::span<const double> x) const;

  // Mean decrease in impurity per feature, summed over the trees and
  // normalised to sum to 1 (all zero when no split was made).
  const std::vector<double>& importance() const { return importance_; }

 private:
  struct Node {
    int feature = -1;  // -1 for a leaf
    double threshold = 0;  // go left when x[feature] <= threshold
    int left = -1, right = -1;
    double value = 0;  // mean target of the node's samples
  };
  using Tree = std::vector<Node>;
  struct Builder;

  ForestOptions opt_;
  std::vector<std::vector<double>> cuts_;  // per feature, increasing split thresholds
  std::vector<Tree> trees_;
  std::vector<double> importance_;
};

// Expected improvement of a prediction over `best` for minimisation (Jones et
// al. 1998): E[max(0, best - Y)] with Y ~ N(mean, spread^2).
double expected_improvement(const ForestPrediction& p, double best);

// A pass sequence as forest input, 2 * actions + 1 values:
//   [a]            how often action a occurs,
//   [actions + a]  its occurrences weighted by how early they come, sum of (n - i) / n
//                  for occurrences at index i (order matters: a pass run early sees
//                  less optimized IR),
//   [2 * actions]  the length.
// Importance of action a is the sum of its two entries (action_importance).
std::vector<double> sequence_features(const Genome& genome, size_t actions);
std::vector<double> action_importance(const RandomForest& forest, size_t actions);

// The evaluated sequences and a forest fit on them: the surrogate that BOCA and
// CompTuner share. The target is log(min(count, cap) / IC(-Oz)), so 0 is -Oz,
// with cap = the unoptimized count: some sequences blow the code up (60x -Oz
// was seen), and on a linear scale those few points made the trees' spread,
// and so the expected improvement, chase them. A failed evaluation is learned
// as the cap.
class SequenceModel {
 public:
  SequenceModel(size_t actions, uint64_t oz_count, uint64_t base_count, ForestOptions options = {})
      : actions_(actions),
        oz_(oz_count ? static_cast<double>(oz_count) : 1.0),
        cap_(std::max(oz_, static_cast<double>(base_count))),
        forest_(options) {}

  // The target of a count, or of a failure (nullopt).
  double target(std::optional<uint64_t> count) const;
  void add(const Genome& genome, std::optional<uint64_t> count);
  void fit(std::mt19937_64& rng);
  ForestPrediction predict(const Genome& genome) const { return forest_.predict(sequence_features(genome, actions_)); }

  size_t size() const { return genomes_.size(); }
  bool trained() const { return forest_.trained(); }
  // Smallest target of a successful evaluation (+inf when none succeeded).
  double best() const;
  // The k best successful sequences, best first (ties: shorter, then older).
  std::vector<Genome> top(size_t k) const;
  std::vector<double> importance() const { return action_importance(forest_, actions_); }
  const RandomForest& forest() const { return forest_; }

 private:
  size_t actions_;
  double oz_, cap_;
  RandomForest forest_;
  std::vector<Genome> genomes_;
  std::vector<std::vector<double>> rows_;
  std::vector<double> targets_;
  std::vector<char> ok_;  // the evaluation succeeded
};

}  // namespace cr1::search
