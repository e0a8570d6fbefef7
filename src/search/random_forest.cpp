#include "search/random_forest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

namespace cr1::search {

namespace {

// Increasing thresholds between distinct values of one feature column: all
// midpoints when there are few distinct values, else at most max_bins - 1
// midpoints placed at quantiles (so heavy values get their own bin).
std::vector<double> make_cuts(std::vector<double> column, int max_bins) {
  std::sort(column.begin(), column.end());
  std::vector<double> distinct = column;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<double> cuts;
  if (distinct.size() <= 1) return cuts;
  if (distinct.size() <= static_cast<size_t>(max_bins)) {
    for (size_t i = 1; i < distinct.size(); ++i) cuts.push_back((distinct[i - 1] + distinct[i]) / 2);
    return cuts;
  }
  for (int k = 1; k < max_bins; ++k) {
    double v = column[static_cast<size_t>(k) * column.size() / static_cast<size_t>(max_bins)];
    auto next = std::upper_bound(distinct.begin(), distinct.end(), v);
    if (next == distinct.end()) break;
    double cut = (v + *next) / 2;
    if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
  }
  return cuts;
}

}  // namespace

// State of one fit: binned data plus the growing trees.
struct RandomForest::Builder {
  const RandomForest& forest;
  size_t n, d;
  std::vector<uint8_t> bins;  // d x n (column-major), bin of x[i][f] = number of cuts < x[i][f]
  std::span<const double> y;
  std::vector<double>& importance;
  SplitMix64 rng;
  std::vector<int> feature_order;

  std::vector<double> ys;     // targets of the current node's samples
  std::vector<uint32_t> ids;  // ... and their rows

  int bin(size_t i, size_t f) const { return bins[f * n + i]; }

  // Sum and count of the node's targets per bin of one column. Sparse
  // columns put most samples in one bin, so a single histogram is a chain of
  // dependent read-modify-writes; four interleaved ones run in parallel.
  void histogram(const uint8_t* column, size_t nb, double* hsum, uint32_t* hcnt) const {
    constexpr size_t kWays = 4;
    std::array<std::array<double, 256>, kWays> s;
    std::array<std::array<uint32_t, 256>, kWays> c;
    size_t count = ids.size();
    size_t ways = count >= 64 ? kWays : 1;
    for (size_t w = 0; w < ways; ++w) {
      std::fill_n(s[w].begin(), nb, 0.0);
      std::fill_n(c[w].begin(), nb, 0u);
    }
    size_t k = 0;
    if (ways == kWays)
      for (; k + kWays <= count; k += kWays)
        for (size_t w = 0; w < kWays; ++w) {
          uint8_t b = column[ids[k + w]];
          s[w][b] += ys[k + w];
          ++c[w][b];
        }
    for (; k < count; ++k) {
      uint8_t b = column[ids[k]];
      s[0][b] += ys[k];
      ++c[0][b];
    }
    for (size_t b = 0; b < nb; ++b) {
      hsum[b] = s[0][b];
      hcnt[b] = c[0][b];
      for (size_t w = 1; w < ways; ++w) {
        hsum[b] += s[w][b];
        hcnt[b] += c[w][b];
      }
    }
  }

  int grow(Tree& tree, std::vector<int>& idx, size_t begin, size_t end, int depth) {
    const ForestOptions& o = forest.opt_;
    size_t count = end - begin;
    double sum = 0, sum2 = 0;
    for (size_t k = begin; k < end; ++k) {
      sum += y[idx[k]];
      sum2 += y[idx[k]] * y[idx[k]];
    }
    int id = static_cast<int>(tree.size());
    tree.push_back({});
    tree[id].value = sum / static_cast<double>(count);
    double sse = sum2 - sum * sum / static_cast<double>(count);
    size_t min_leaf = static_cast<size_t>(std::max(1, o.min_samples_leaf));
    if (depth >= o.max_depth || count < 2 * min_leaf || sse <= 1e-12 * std::max(1.0, sum2)) return id;

    // Visit max_features features in a fresh random order, and more only
    // until one that is not constant in the node was found (scikit-learn's rule).
    size_t want = std::max<size_t>(1, static_cast<size_t>(std::ceil(o.max_features * static_cast<double>(d))));
    size_t visited = 0, scored = 0;
    double best_gain = 1e-12 * std::max(1.0, sse);
    int best_f = -1, best_b = -1;
    // Node-local copies: the column loop below then reads y and the sample
    // ids sequentially.
    ys.assign(count, 0.0);
    ids.assign(count, 0);
    for (size_t k = 0; k < count; ++k) {
      ids[k] = static_cast<uint32_t>(idx[begin + k]);
      ys[k] = y[ids[k]];
    }
    std::array<double, 256> hsum;
    std::array<uint32_t, 256> hcnt;
    for (size_t j = 0; j < d && (visited < want || scored == 0); ++j) {
      // Partial Fisher-Yates: only the features actually looked at are drawn.
      std::swap(feature_order[j], feature_order[j + rng.below(d - j)]);
      size_t f = static_cast<size_t>(feature_order[j]);
      size_t nb = forest.cuts_[f].size() + 1;
      if (nb < 2) continue;  // constant in all the data: not a feature at all
      ++visited;
      // Deep nodes see most sparse features constant: find out before
      // paying for a histogram.
      const uint8_t* column = &bins[f * n];
      uint8_t first = column[ids[0]];
      size_t k = 1;
      while (k < count && column[ids[k]] == first) ++k;
      if (k == count) continue;
      ++scored;
      histogram(column, nb, hsum.data(), hcnt.data());
      double lsum = 0;
      size_t lcnt = 0;
      for (size_t b = 0; b + 1 < nb; ++b) {
        lsum += hsum[b];
        lcnt += hcnt[b];
        if (hcnt[b] == 0 || lcnt < min_leaf) continue;
        size_t rcnt = count - lcnt;
        if (rcnt < min_leaf) break;
        double rsum = sum - lsum;
        // SSE reduction of the split.
        double gain = lsum * lsum / static_cast<double>(lcnt) + rsum * rsum / static_cast<double>(rcnt) -
                      sum * sum / static_cast<double>(count);
        if (gain > best_gain) {
          best_gain = gain;
          best_f = static_cast<int>(f);
          best_b = static_cast<int>(b);
        }
      }
    }
    if (best_f < 0) return id;

    importance[static_cast<size_t>(best_f)] += best_gain;
    auto mid = std::partition(idx.begin() + static_cast<long>(begin), idx.begin() + static_cast<long>(end),
                                     [&](int i) { return bin(static_cast<size_t>(i), static_cast<size_t>(best_f)) <= best_b; });
    size_t split = static_cast<size_t>(mid - idx.begin());
    int left = grow(tree, idx, begin, split, depth + 1);
    int right = grow(tree, idx, split, end, depth + 1);
    tree[id].feature = best_f;
    tree[id].threshold = forest.cuts_[static_cast<size_t>(best_f)][static_cast<size_t>(best_b)];
    tree[id].left = left;
    tree[id].right = right;
    return id;
  }
};

void RandomForest::fit(const std::vector<std::vector<double>>& x, std::span<const double> y, std::mt19937_64& rng) {
  trees_.clear();
  cuts_.clear();
  importance_.clear();
  if (x.empty() || x.size() != y.size()) return;
  size_t n = x.size(), d = x.front().size();
  int max_bins = std::clamp(opt_.max_bins, 2, 255);

  cuts_.resize(d);
  std::vector<double> column(n);
  for (size_t f = 0; f < d; ++f) {
    for (size_t i = 0; i < n; ++i) column[i] = x[i][f];
    cuts_[f] = make_cuts(column, max_bins);
  }
  importance_.assign(d, 0.0);
  Builder b{*this, n, d, std::vector<uint8_t>(n * d), y, importance_, SplitMix64{0}, std::vector<int>(d), {}, {}};
  for (size_t i = 0; i < n; ++i)
    for (size_t f = 0; f < d; ++f) {
      const auto& c = cuts_[f];
      b.bins[f * n + i] = static_cast<uint8_t>(std::lower_bound(c.begin(), c.end(), x[i][f]) - c.begin());
    }
  std::iota(b.feature_order.begin(), b.feature_order.end(), 0);

  std::vector<int> idx(n);
  for (int t = 0; t < std::max(1, opt_.trees); ++t) {
    b.rng.state = rng();
    if (opt_.bootstrap)
      for (int& i : idx) i = static_cast<int>(b.rng.below(n));
    else
      std::iota(idx.begin(), idx.end(), 0);
    Tree tree;
    b.grow(tree, idx, 0, n, 0);
    trees_.push_back(std::move(tree));
  }
  double total = std::accumulate(importance_.begin(), importance_.end(), 0.0);
  if (total > 0)
    for (double& v : importance_) v /= total;
}

ForestPrediction RandomForest::predict(std::span<const double> x) const {
  if (trees_.empty()) return {};
  double sum = 0, sum2 = 0;
  for (const Tree& tree : trees_) {
    int node = 0;
    while (tree[node].feature >= 0)
      node = x[static_cast<size_t>(tree[node].feature)] <= tree[node].threshold ? tree[node].left : tree[node].right;
    sum += tree[node].value;
    sum2 += tree[node].value * tree[node].value;
  }
  double k = static_cast<double>(trees_.size());
  double mean = sum / k;
  return {mean, std::sqrt(std::max(0.0, sum2 / k - mean * mean))};
}

double expected_improvement(const ForestPrediction& p, double best) {
  double gap = best - p.mean;
  if (p.spread <= 1e-12) return std::max(0.0, gap);
  double z = gap / p.spread;
  double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
  return gap * cdf + p.spread * pdf;
}

std::vector<double> sequence_features(const Genome& genome, size_t actions) {
  std::vector<double> f(2 * actions + 1, 0.0);
  double n = static_cast<double>(genome.size());
  for (size_t i = 0; i < genome.size(); ++i) {
    auto a = static_cast<size_t>(genome[i]);
    f[a] += 1;
    f[actions + a] += (n - static_cast<double>(i)) / n;
  }
  f[2 * actions] = n;
  return f;
}

std::vector<double> action_importance(const RandomForest& forest, size_t actions) {
  std::vector<double> imp(actions, 0.0);
  const auto& fi = forest.importance();
  if (fi.size() < 2 * actions) return imp;
  for (size_t a = 0; a < actions; ++a) imp[a] = fi[a] + fi[actions + a];
  return imp;
}

double SequenceModel::target(std::optional<uint64_t> count) const {
  double c = count ? std::clamp(static_cast<double>(*count), 1.0, cap_) : cap_;
  return std::log(c / oz_);
}

void SequenceModel::add(const Genome& genome, std::optional<uint64_t> count) {
  genomes_.push_back(genome);
  rows_.push_back(sequence_features(genome, actions_));
  targets_.push_back(target(count));
  ok_.push_back(count.has_value());
}

void SequenceModel::fit(std::mt19937_64& rng) { forest_.fit(rows_, targets_, rng); }

double SequenceModel::best() const {
  double b = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < targets_.size(); ++i)
    if (ok_[i]) b = std::min(b, targets_[i]);
  return b;
}

std::vector<Genome> SequenceModel::top(size_t k) const {
  std::vector<size_t> order;
  for (size_t i = 0; i < targets_.size(); ++i)
    if (ok_[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (targets_[a] != targets_[b]) return targets_[a] < targets_[b];
    return genomes_[a].size() < genomes_[b].size();
  });
  std::vector<Genome> out;
  for (size_t i : order) {
    if (out.size() >= k) break;
    if (std::find(out.begin(), out.end(), genomes_[i]) == out.end()) out.push_back(genomes_[i]);
  }
  return out;
}

}  // namespace cr1::search
