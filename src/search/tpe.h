// TPE, the Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and
// Kégl, "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011), in the
// form hyperopt and Optuna use for categorical parameters.
//
// A sequence is L slots, each a categorical over the action space plus a "no
// pass" symbol (dropped when decoding, so effective lengths vary from 1 to L).
// After `startup` trials drawn from the prior, each round splits the trials at
// the gamma quantile of their counts into good and bad, models each slot
// independently with smoothed categorical densities l(x) (good) and g(x)
// (bad): observation counts, Optuna's recency weights, plus `prior_weight`
// times the prior. Each proposal draws `candidates` samples from l and keeps
// the one with the largest l(x)/g(x); a round proposes one batch.
#pragma once

#include "search/tuner.h"

namespace cr1::search {

struct TpeOptions {
  size_t length = 20;         // slots L
  size_t startup = 20;        // random trials before the model is used
  double gamma = 0.2;         // fraction of trials that are "good"
  size_t candidates = 24;     // samples from l(x) per proposal (Optuna's n_ei_candidates)
  double prior_weight = 1.0;  // pseudo-count of the prior in l and g
  double empty_prior = 0.2;   // prior mass of "no pass" in a slot (mean length 0.8 L)
};

class Tpe final : public Tuner {
 public:
  explicit Tpe(TpeOptions options = {}) : opt_(options) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

 private:
  TpeOptions opt_;
};

}  // namespace cr1::search
