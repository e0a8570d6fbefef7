// Local search (hill climbing with restarts): from a random genome, or now and
// then from the best so far, evaluate a batch of one-edit neighbours (insert,
// delete, replace or swap) and move to the best one that improves; restart
// once `patience` neighbours in a row (whole batches) found nothing better.
// The batch is ctx.batch_size(), so the path taken depends on the pool size.
#pragma once

#include "search/tuner.h"

namespace cr1::search {

struct LocalSearchOptions {
  size_t min_len = 10, max_len = 30;  // fresh random genomes
  size_t cap = 40;                    // longest genome a mutation may make
  // Non-improving neighbour evaluations before a restart, counted in whole
  // batches: K = ceil(patience / batch) batches. In evaluations rather than
  // batches so that how long it climbs does not depend on the number of cores.
  // 256: on the bundled programs at 500 evaluations, longer patience did
  // better (32: +2.5%, 128: +3.9%, 256: +4.5% mean OverOz) and kicks did not help.
  size_t patience = 256;
  double restart_best = 0.5;  // chance a restart starts from the best so far...
  size_t kick = 0;            // ...after this many random edits (0: go on climbing from it)
  // Start by climbing from the best the context already knows (e.g. after a coreset was evaluated in it).
  bool first_from_best = false;
};

class LocalSearch final : public Tuner {
 public:
  explicit LocalSearch(LocalSearchOptions options = {}) : o_(options) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

  // Number of restarts in the last search() call (the first start included).
  size_t starts() const { return starts_; }

 private:
  LocalSearchOptions o_;
  size_t starts_ = 0;
};

// One random edit of `g` (insert, delete, replace or swap), keeping the length
// within [1, cap]; never returns `g` itself.
Genome mutate_once(const Genome& g, std::mt19937_64& rng, size_t space_size, size_t cap);

}  // namespace cr1::search
