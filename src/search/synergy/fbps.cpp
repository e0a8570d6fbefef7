#include "search/synergy/fbps.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "search/individual.h"
#include "search/registry.h"

namespace cr1::search::synergy {

namespace {


// As a registered method, FBPS spends the whole budget it is given (equal
// budgets against GA and RIO), on the shipped graph.
const TunerRegistration kRegistration{
    {"fbps", "FBPS: GA over random walks on the synergy graph (Compiler-R1), with elitism", 45}, [] {
      auto graph = shipped_graph();
      // The factory cannot return an error; the CLI prints this one line.
      if (!graph) throw std::runtime_error(graph.error().message);
      FbpsOptions o;
      o.generations = 0;
      return std::make_unique<FbpsSearch>(*graph, o);
    }};

}  // namespace

Expected<std::shared_ptr<const SynergyGraph>> shipped_graph() {
  static std::mutex mu;
  static std::shared_ptr<const SynergyGraph> cached;
  std::lock_guard lock(mu);
  if (cached) return cached;
  auto g = SynergyGraph::load(default_graph_path());
  if (!g) return g.take_error();
  if (g->empty())
    return make_error(ErrorKind::invalid_input, fmt::format("synergy graph {} has no pairs", default_graph_path().string()));
  cached = std::make_shared<const SynergyGraph>(std::move(*g));
  return cached;
}

WalkGraph::WalkGraph(const SynergyGraph& graph, const ActionSpace& space) : succ_(space.size()) {
  std::set<int> nodes;
  for (const auto& p : graph.pairs()) {
    int a = space.index_of(p.first), b = space.index_of(p.second);
    if (a < 0 || b < 0) continue;
    succ_[static_cast<size_t>(a)].push_back(b);
    nodes.insert(a);
    nodes.insert(b);
  }
  // Uniform successors, in a fixed order so that a seed gives one walk.
  for (auto& s : succ_) std::sort(s.begin(), s.end());
  nodes_.assign(nodes.begin(), nodes.end());
}

int WalkGraph::random_node(std::mt19937_64& rng) const {
  return nodes_[std::uniform_int_distribution<size_t>(0, nodes_.size() - 1)(rng)];
}

void WalkGraph::extend(Genome& g, std::mt19937_64& rng, size_t steps) const {
  for (size_t k = 0; k < steps; ++k) {
    if (g.empty()) {
      g.push_back(random_node(rng));
      continue;
    }
    const auto& s = succ_[static_cast<size_t>(g.back())];
    g.push_back(s.empty() ? random_node(rng) : s[std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng)]);
  }
}

Genome WalkGraph::walk(std::mt19937_64& rng, size_t length) const {
  Genome g;
  g.reserve(length);
  extend(g, rng, length);
  return g;
}

Genome shared_pass_crossover(const Genome& a, const Genome& b, std::mt19937_64& rng, size_t cap) {
  std::set<int> in_b(b.begin(), b.end());
  std::vector<int> shared;
  for (int x : std::set<int>(a.begin(), a.end()))
    if (in_b.count(x)) shared.push_back(x);
  if (shared.empty()) return a;
  int pass = shared[std::uniform_int_distribution<size_t>(0, shared.size() - 1)(rng)];
  auto occurrence = [&](const Genome& g) {
    std::vector<size_t> at;
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i] == pass) at.push_back(i);
    return at[std::uniform_int_distribution<size_t>(0, at.size() - 1)(rng)];
  };
  size_t i = occurrence(a), j = occurrence(b);
  Genome child(a.begin(), a.begin() + static_cast<long>(i));
  child.insert(child.end(), b.begin() + static_cast<long>(j), b.end());
  if (child.size() > cap) child.resize(cap);
  return child;
}

FbpsSearch::FbpsSearch(std::shared_ptr<const SynergyGraph> graph, FbpsOptions options)
    : graph_(std::move(graph)), o_(options) {}

std::string FbpsSearch::name() const {
  return fmt::format("fbps;pop={},len={}-{},gen={},parents={},mut={},cap={},pairs={}", o_.population, o_.min_len,
                     o_.max_len, o_.generations ? std::to_string(o_.generations) : "budget", o_.parent_fraction,
                     o_.mutation, o_.cap, graph_ ? graph_->pair_count() : 0);
}

void FbpsSearch::search(SearchContext& ctx) {
  generations_ = 0;
  if (!graph_) return;
  WalkGraph walks(*graph_, ctx.space());
  if (walks.empty()) return;
  auto& rng = ctx.rng();
  const size_t pop_size = std::max<size_t>(o_.population, 2);
  const size_t parents = std::clamp<size_t>(static_cast<size_t>(static_cast<double>(pop_size) * o_.parent_fraction), 1,
                                            pop_size - 1);
  std::uniform_int_distribution<size_t> walk_len(o_.min_len, std::max(o_.min_len, o_.max_len));
  std::bernoulli_distribution mutate(o_.mutation);

  // A genome new to this search and to the batch, if a few tries give one.
  auto fresh = [&](std::set<Genome>& in_batch, auto&& make) {
    Genome g;
    for (int tries = 0; tries < 8; ++tries) {
      g = make();
      if (!g.empty() && !ctx.lookup(g) && !in_batch.count(g)) break;
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
    for (auto& ind : pop) ind.genome = fresh(in_batch, [&] { return walks.walk(rng, walk_len(rng)); });
  }
  evaluate(pop);

  int idle = 0;
  for (size_t gen = 0; (o_.generations == 0 || gen < o_.generations) && !ctx.exhausted() && idle < 20; ++gen) {
    std::stable_sort(pop.begin(), pop.end(), fitter);
    pop.resize(parents);  // elitism: the parents survive unchanged
    std::uniform_int_distribution<size_t> pick(0, parents - 1);
    std::set<Genome> in_batch;
    for (const auto& p : pop) in_batch.insert(p.genome);
    std::vector<Individual> children;
    while (parents + children.size() < pop_size) {
      Genome g = fresh(in_batch, [&] {
        size_t i = pick(rng), j = pick(rng);
        if (parents > 1)
          while (j == i) j = pick(rng);
        Genome child = shared_pass_crossover(pop[i].genome, pop[j].genome, rng, o_.cap);
        if (mutate(rng) || child.empty()) {
          // Cut, then walk on from the cut to a fresh length.
          size_t keep = child.empty() ? 0 : std::uniform_int_distribution<size_t>(1, child.size())(rng);
          child.resize(keep);
          size_t target = walk_len(rng);
          walks.extend(child, rng, target > keep ? target - keep : 1);
        }
        return child;
      });
      children.push_back({std::move(g), kUnfit});
    }
    size_t before = ctx.evaluations();
    evaluate(children);
    idle = ctx.evaluations() == before ? idle + 1 : 0;
    for (auto& c : children) pop.push_back(std::move(c));
  }
}

}  // namespace cr1::search::synergy
