#include "search/genetic.h"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "search/individual.h"
#include "search/registry.h"

namespace cr1::search {

namespace {
const TunerRegistration kRegistration{
    {"ga", "genetic algorithm: tournament selection, one-point crossover, per-gene mutation, elitism", 40},
    [] { return std::make_unique<GeneticSearch>(); }};

}  // namespace

Genome one_point_crossover(const Genome& a, const Genome& b, std::mt19937_64& rng, size_t cap) {
  size_t i = std::uniform_int_distribution<size_t>(0, a.size())(rng);
  size_t j = std::uniform_int_distribution<size_t>(0, b.size())(rng);
  Genome child(a.begin(), a.begin() + static_cast<long>(i));
  child.insert(child.end(), b.begin() + static_cast<long>(j), b.end());
  if (child.size() > cap) child.resize(cap);
  // Both cuts at the ends: fall back to the head of a parent rather than nothing.
  if (child.empty()) child.push_back(!a.empty() ? a.front() : b.front());
  return child;
}

Genome mutate_genes(const Genome& g, double rate, std::mt19937_64& rng, size_t space_size, size_t cap) {
  std::bernoulli_distribution hit(rate);
  std::uniform_int_distribution<int> pick_action(0, static_cast<int>(space_size) - 1);
  std::uniform_int_distribution<int> pick_op(0, 2);
  Genome out;
  out.reserve(std::min(cap, g.size() + 4));
  for (size_t k = 0; k < g.size(); ++k) {
    if (!hit(rng)) {
      out.push_back(g[k]);
      continue;
    }
    switch (pick_op(rng)) {
      case 0: out.push_back(pick_action(rng)); break;  // replace
      case 1:                                           // insert before
        out.push_back(pick_action(rng));
        out.push_back(g[k]);
        break;
      default: break;  // delete
    }
  }
  if (out.size() > cap) out.resize(cap);
  if (out.empty()) out.push_back(pick_action(rng));
  return out;
}

std::string GeneticSearch::name() const {
  return fmt::format("ga;pop={},tour={},mut={},cx={},elite={},len={}-{},cap={}", o_.population, o_.tournament,
                     o_.mutation, o_.crossover, o_.elite, o_.min_len, o_.max_len, o_.cap);
}

void GeneticSearch::search(SearchContext& ctx) {
  generations_ = 0;
  const size_t n = ctx.space().size();
  const size_t pop_size = std::max<size_t>(o_.population, 2);
  const size_t elite = std::min(o_.elite, pop_size - 1);
  std::bernoulli_distribution do_cross(o_.crossover);

  // A genome new to this search and to the batch under construction, if one
  // of a few tries of `make` gives it; else the last try (a repeat, free).
  auto fresh = [&](std::set<Genome>& in_batch, auto&& make) {
    Genome g;
    for (int tries = 0; tries < 8; ++tries) {
      g = make();
      if (!ctx.lookup(g) && !in_batch.count(g)) break;
    }
    in_batch.insert(g);
    return g;
  };
  auto evaluate = [&](std::vector<Individual>& inds) {
    evaluate_population(ctx, inds);
    ++generations_;
  };

  std::vector<Individual> pop(pop_size);
  {
    std::set<Genome> in_batch;
    for (auto& ind : pop)
      ind.genome = fresh(in_batch, [&] { return random_genome(ctx.rng(), n, o_.min_len, o_.max_len); });
  }
  evaluate(pop);

  auto tournament = [&]() -> const Individual& {
    std::uniform_int_distribution<size_t> pick(0, pop.size() - 1);
    const Individual* best = &pop[pick(ctx.rng())];
    for (size_t k = 1; k < o_.tournament; ++k) {
      const Individual& c = pop[pick(ctx.rng())];
      if (fitter(c, *best)) best = &c;
    }
    return *best;
  };

  // Stop when generations keep bringing nothing new (the population has
  // converged onto sequences already evaluated).
  int idle = 0;
  while (!ctx.exhausted() && idle < 50) {
    std::stable_sort(pop.begin(), pop.end(), fitter);
    std::vector<Individual> children;
    std::set<Genome> in_batch;
    for (size_t k = 0; k < elite; ++k) in_batch.insert(pop[k].genome);
    while (elite + children.size() < pop_size) {
      Genome g = fresh(in_batch, [&] {
        const Individual& a = tournament();
        Genome child = a.genome;
        if (do_cross(ctx.rng())) child = one_point_crossover(a.genome, tournament().genome, ctx.rng(), o_.cap);
        return mutate_genes(child, o_.mutation, ctx.rng(), n, o_.cap);
      });
      children.push_back({std::move(g), kUnfit});
    }
    size_t before = ctx.evaluations();
    evaluate(children);
    idle = ctx.evaluations() == before ? idle + 1 : 0;
    // Elites keep their places; the children replace the rest.
    pop.resize(elite);
    for (auto& c : children) pop.push_back(std::move(c));
  }
}

}  // namespace cr1::search
