// An OpenTuner-style ensemble: several techniques (random, genetic,
// differential evolution, hill climbing) share one results database, and an
// AUC bandit (auc_bandit.h) decides which technique proposes each member of
// the next batch, crediting a technique when its proposal is a new best.
#pragma once

#include "search/tuner.h"

namespace cr1::search {

class Ensemble final : public Tuner {
 public:
  std::string name() const override;
  void search(SearchContext& ctx) override;
};

}  // namespace cr1::search
