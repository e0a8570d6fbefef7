#include "search/rio.h"

#include <fmt/format.h>

#include "search/registry.h"

namespace cr1::search {

namespace {
const TunerRegistration kRegistration{{"rio", "random iterative optimization: random sequences of length 10-30", 10},
                                      [] { return std::make_unique<RandomSearch>(); }};
}  // namespace

std::string RandomSearch::name() const { return fmt::format("rio;len={}-{}", min_len_, max_len_); }

void RandomSearch::search(SearchContext& ctx) {
  // Stop after many batches that found nothing new to evaluate (tiny spaces).
  int idle_batches = 0;
  while (!ctx.exhausted() && idle_batches < 100) {
    std::vector<Genome> batch;
    for (size_t i = 0; i < ctx.batch_size(); ++i) batch.push_back(random_genome(ctx.rng(), ctx.space().size(), min_len_, max_len_));
    size_t before = ctx.evaluations();
    ctx.evaluate(batch);
    idle_batches = ctx.evaluations() == before ? idle_batches + 1 : 0;
  }
}

}  // namespace cr1::search
