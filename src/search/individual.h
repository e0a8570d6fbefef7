// A member of a genetic population (GA and FBPS share it): a genome and its instruction count.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "search/action_space.h"
#include "search/tuner.h"

namespace cr1::search {

// The fitness of a genome whose evaluation failed (crash, timeout): worse than any count.
inline constexpr uint64_t kUnfit = std::numeric_limits<uint64_t>::max();

struct Individual {
  Genome genome;
  uint64_t fitness = kUnfit;
};

// Lower count first; at equal count the shorter genome.
inline bool fitter(const Individual& a, const Individual& b) {
  return a.fitness < b.fitness || (a.fitness == b.fitness && a.genome.size() < b.genome.size());
}

// Evaluates the whole population in one batch (so the pool runs it in parallel) and sets each fitness.
inline void evaluate_population(SearchContext& ctx, std::vector<Individual>& population) {
  std::vector<Genome> batch;
  batch.reserve(population.size());
  for (const auto& ind : population) batch.push_back(ind.genome);
  auto counts = ctx.evaluate(batch);
  for (size_t i = 0; i < population.size(); ++i) population[i].fitness = counts[i] ? *counts[i] : kUnfit;
}

}  // namespace cr1::search
