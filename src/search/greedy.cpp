#include "search/greedy.h"

#include <algorithm>
#include <numeric>

#include "search/registry.h"

namespace cr1::search {

namespace {
const TunerRegistration kRegistration{
    {"greedy", "greedy: append the single action that lowers the count most, until none does", 20},
    [] { return std::make_unique<GreedySearch>(); }};
}  // namespace

std::string GreedySearch::name() const { return "greedy;start=empty"; }

void GreedySearch::search(SearchContext& ctx) {
  rounds_.clear();
  const size_t n = ctx.space().size();
  Genome current;                          // the empty sequence: the program as loaded
  uint64_t current_count = ctx.base_count();
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);

  while (!ctx.exhausted()) {
    // Shuffled so that a round cut short by the budget tries a random subset
    // of the actions rather than always the first ones of the catalogue.
    std::shuffle(order.begin(), order.end(), ctx.rng());
    std::vector<Genome> batch;
    batch.reserve(n);
    for (int a : order) {
      Genome g = current;
      g.push_back(a);
      batch.push_back(std::move(g));
    }
    size_t before_evals = ctx.evaluations();
    auto counts = ctx.evaluate(batch);

    GreedyRound round;
    round.before = current_count;
    round.evaluated = ctx.evaluations() - before_evals;
    // First strictly lowest in batch order: the same tie-break as the
    // context's best, so the reported best is exactly this greedy path.
    for (size_t i = 0; i < batch.size(); ++i)
      if (counts[i] && (!round.best_count || *counts[i] < *round.best_count)) {
        round.best_count = counts[i];
        round.best_action = batch[i].back();
      }
    round.accepted = round.best_count && *round.best_count < current_count;
    rounds_.push_back(round);
    if (!round.accepted) break;  // no single action helps: a local optimum
    current.push_back(round.best_action);
    current_count = *round.best_count;
  }
}

}  // namespace cr1::search
