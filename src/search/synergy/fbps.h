// FBPS, find_best_pass_sequence (Compiler-R1 §3.2): a genetic algorithm whose
// individuals are random walks on the synergy graph.
//   - population 100 walks of length 10-30, successors drawn uniformly;
//   - fitness = instruction count (a failed evaluation is the worst);
//   - the top 10% are parents; a child is cut at a pass both parents share;
//   - mutation (probability 0.5) cuts the child and re-walks the rest;
//   - 10 generations.
// Fixes to the reference: elitism (the parents survive, so the best ever is
// never lost) and the session's result cache (repeats are free). A walk that
// reaches a pass with no successors jumps to a random pass of the graph.
#pragma once

#include <memory>
#include <random>

#include "search/synergy/synergy_graph.h"
#include "search/tuner.h"

namespace cr1::search::synergy {

struct FbpsOptions {
  size_t population = 100;
  size_t min_len = 10, max_len = 30;  // walk lengths
  size_t generations = 10;            // after the initial population; 0 = until the budget is spent
  double parent_fraction = 0.1;       // top fraction that breeds and survives
  double mutation = 0.5;              // per child
  size_t cap = 40;                    // longest child after crossover
};

// The synergy graph over the indices of one action space (passes of the
// graph that are not in the space are left out).
class WalkGraph {
 public:
  WalkGraph(const SynergyGraph& graph, const ActionSpace& space);
  bool empty() const { return nodes_.empty(); }
  size_t node_count() const { return nodes_.size(); }
  const std::vector<int>& successors(int action) const { return succ_.at(static_cast<size_t>(action)); }

  // A walk of `length` passes starting at a uniformly drawn pass.
  Genome walk(std::mt19937_64& rng, size_t length) const;
  // Appends `steps` passes to `g`, walking on from its last pass.
  void extend(Genome& g, std::mt19937_64& rng, size_t steps) const;

 private:
  int random_node(std::mt19937_64& rng) const;
  std::vector<int> nodes_;
  std::vector<std::vector<int>> succ_;
};

class FbpsSearch final : public Tuner {
 public:
  FbpsSearch(std::shared_ptr<const SynergyGraph> graph, FbpsOptions options = {});
  std::string name() const override;
  void search(SearchContext& ctx) override;
  size_t generations() const { return generations_; }  // of the last search (initial included)

 private:
  std::shared_ptr<const SynergyGraph> graph_;
  FbpsOptions o_;
  size_t generations_ = 0;
};

// Child of a and b cut at a pass both contain (a random shared pass, a random
// occurrence in each): a[0, i) + b[j, end), truncated to `cap`. Without a
// shared pass, a copy of a.
Genome shared_pass_crossover(const Genome& a, const Genome& b, std::mt19937_64& rng, size_t cap);

// The graph shipped with the repository (default_graph_path()), loaded once
// per process.
Expected<std::shared_ptr<const SynergyGraph>> shipped_graph();

}  // namespace cr1::search::synergy
