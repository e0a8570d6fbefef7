// CompTuner ("Compiler Autotuning through Multiple-phase Learning", ACM
// TOSEM 2024): a learned performance-prediction model guides a particle-swarm
// search, and each round's measurements retrain the model. The paper tunes GCC
// on/off flags for run time; here it searches LLVM pass sequences for
// instruction count. The phases below are how this file realizes that idea:
//
//   Phase 1, model construction: `random_init` random sequences, then active
//     learning up to `initial` sequences: of `pool` random sequences, measure
//     the batch the forest is least sure about (largest spread across trees).
//   Phase 2, model-guided PSO, one batch per iteration:
//     - every particle draws `screen` candidate moves from the usual update
//       v = w v + c1 r1 (pbest - x) + c2 r2 (gbest - x) (r drawn per dimension
//       and per candidate); the model pre-screens them and the particle takes
//       the one with the best predicted count;
//     - only the batch_size() particles with the best predicted counts whose
//       sequences are new are measured; pbest/gbest move on measurements only;
//     - the model is refit on all measurements after every batch.
//
// Choices the paper leaves open (or that differ for pass sequences):
//   - Encoding: a particle is L slots x (actions + 1) scores in [0, 1]; a slot
//     decodes to its arg-max symbol, the extra symbol meaning "no pass", so
//     lengths vary from 1 to L. Flags are binary in the paper; a sequence has
//     an order and repeats, hence per-slot scores.
//   - Model: the shared random forest on sequence_features() (counts, early
//     position weights, length), target log(IC / IC(-Oz)) capped at the
//     unoptimized count (SequenceModel).
//   - Pre-screening by predicted mean (the model as fitness, not an
//     acquisition function); active learning by tree spread.
//   - Constants: Clerc's constriction values w = 0.7298, c1 = c2 = 1.49618,
//     |v| <= vmax; a "turbulence" move (a random symbol's score set to 1 in a
//     slot, per slot with probability `turbulence`) keeps the argmax decoding
//     from freezing; a particle whose pbest has not improved for
//     `restart_after` iterations restarts at a random position.
//   - The swarm starts from the best measured sequences of phase 1 (half the
//     particles) and random positions (the rest).
#pragma once

#include "search/random_forest.h"
#include "search/tuner.h"

namespace cr1::search {

struct CompTunerOptions {
  size_t length = 20;        // slots L
  double empty_prior = 0.2;  // chance of "no pass" in a random slot
  size_t random_init = 10;   // phase 1: random sequences
  size_t initial = 30;       // phase 1: total sequences (the rest chosen by model uncertainty)
  size_t pool = 256;         // phase 1: random sequences screened per active-learning batch
  size_t particles = 24;
  size_t screen = 8;         // candidate moves per particle the model pre-screens
  double inertia = 0.7298;
  double c1 = 1.49618, c2 = 1.49618;
  double vmax = 0.5;
  double turbulence = 0.05;
  size_t restart_after = 15;
  ForestOptions forest;
};

class CompTuner final : public Tuner {
 public:
  explicit CompTuner(CompTunerOptions options = {}) : opt_(options) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

 private:
  CompTunerOptions opt_;
};

}  // namespace cr1::search
