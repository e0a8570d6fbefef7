// BOCA, Bayesian Optimization for Compiler Autotuning (Chen et al., "Efficient
// Compiler Autotuning via Bayesian Optimization", ICSE 2021), moved from GCC
// on/off flags to LLVM pass sequences.
//
// - Surrogate: a random forest (random_forest.h) on sequence_features(), i.e.
//   per-action counts, early-position weights and the length; the target is
//   log(IC / IC(-Oz)), capped at the unoptimized count (SequenceModel). The
//   spread of the trees is the uncertainty.
// - Acquisition: expected improvement over the best count so far.
// - Candidates (BOCA's "impactful optimizations"): the K actions with the
//   largest forest importance are varied fully, one candidate per subset of
//   them (all 2^K, as in the paper), while the other actions are sampled
//   sparsely: C of them per candidate, where C follows the paper's Gaussian
//   decay C(t) = C0 * exp(-max(0, t - offset)^2 / (2 sigma^2)),
//   sigma^2 = -scale^2 / (2 ln decay), t = sequences evaluated so far. So the
//   search explores widely at first and narrows onto the impactful passes.
//   K is fixed (8, the paper's setting); the decay is on the less-impactful part.
// - Sequences have an order that flags lack, so each subset gives two
//   candidates: a "global" one (the subset plus C random other actions, in
//   random order) and a "local" one built from one of the best sequences so
//   far (the subset's actions kept where the parent has them, inserted where it
//   lacks them, removed otherwise, then C random edits of its other actions).
// The top-EI candidates not yet evaluated form the batch; the forest is refit
// after every batch. The first `initial` sequences are random.
#pragma once

#include "search/random_forest.h"
#include "search/tuner.h"

namespace cr1::search {

struct BocaOptions {
  size_t initial = 10;    // random sequences before the first model
  size_t impactful = 8;   // K (at most 12: 2^K candidates of each kind per round)
  size_t sparse0 = 8;     // C0, less-impactful actions per candidate before the decay
  double offset = 20;     // decay starts after this many evaluations
  double scale = 10;      // ... and halves C (decay) this many evaluations later
  double decay = 0.5;
  size_t parents = 5;     // best sequences the local candidates start from
  size_t min_len = 10, max_len = 30;  // lengths of the initial random sequences; max_len caps all
  ForestOptions forest;
};

class Boca final : public Tuner {
 public:
  explicit Boca(BocaOptions options = {}) : opt_(options) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

  // C(t): how many less-impactful actions a candidate samples after t evaluations.
  size_t sparse_count(size_t t) const;

 private:
  BocaOptions opt_;
};

}  // namespace cr1::search
