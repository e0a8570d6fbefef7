// Genetic algorithm over pass sequences: a population of random genomes,
// tournament selection, one-point crossover with a cut in each parent (so
// lengths vary), per-gene mutation (replace / insert / delete) and elitism.
// Fitness is the instruction count; a failed evaluation is the worst.
#pragma once

#include "search/tuner.h"

namespace cr1::search {

struct GeneticOptions {
  size_t population = 40;
  size_t tournament = 3;
  double mutation = 0.1;   // per gene
  double crossover = 0.9;  // else the child is a copy of the first parent (then mutated)
  size_t elite = 2;        // best individuals carried over unchanged
  size_t min_len = 10, max_len = 30;  // initial random genomes
  size_t cap = 40;                    // longest child
};

class GeneticSearch final : public Tuner {
 public:
  explicit GeneticSearch(GeneticOptions options = {}) : o_(options) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

  // Generations evaluated in the last search() call (the initial one included).
  size_t generations() const { return generations_; }

 private:
  GeneticOptions o_;
  size_t generations_ = 0;
};

// Child of a[0, i) + b[j, end) for random cuts i, j; truncated to `cap` and
// never empty.
Genome one_point_crossover(const Genome& a, const Genome& b, std::mt19937_64& rng, size_t cap);
// Each gene, with probability `rate`, is replaced, gets a new gene inserted
// before it, or is deleted. The result has length in [1, cap].
Genome mutate_genes(const Genome& g, double rate, std::mt19937_64& rng, size_t space_size, size_t cap);

}  // namespace cr1::search
