// Credit assignment for the OpenTuner-style ensemble: the AUC bandit of
// Ansel et al., "OpenTuner: An Extensible Framework for Program Autotuning"
// (PACT 2014). Each arm keeps a sliding window of outcomes (did its proposal
// give a new global best?); its credit is the area under the curve of that
// window, weighting recent outcomes more, plus an exploration bonus
// C * sqrt(2 ln(total) / uses).
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

namespace cr1::search {

class AucBandit {
 public:
  AucBandit(size_t arms, double exploration = 0.05, size_t window = 500);

  // The arm to use next: an unused arm first, else the highest score.
  size_t choose() const;
  void record(size_t arm, bool success);

  // Area under the curve of the arm's window, in [0, 1]; maintained
  // incrementally. auc_slow() recomputes it from the definition (for tests).
  double auc(size_t arm) const;
  double auc_slow(size_t arm) const;
  double score(size_t arm) const;
  size_t uses(size_t arm) const { return arms_[arm].history.size(); }

 private:
  struct Arm {
    std::deque<bool> history;  // the last `window` outcomes, oldest first
    // sum over i of history[i] * (i + 1), and the number of successes.
    double weighted = 0;
    size_t successes = 0;
  };
  std::vector<Arm> arms_;
  double exploration_;
  size_t window_;
  size_t total_ = 0;
};

}  // namespace cr1::search
