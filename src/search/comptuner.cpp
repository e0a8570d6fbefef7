#include "search/comptuner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "search/registry.h"

namespace cr1::search {

namespace {

const TunerRegistration kRegistration{
    {"comptuner", "CompTuner: particle swarm guided by a learned prediction model (TOSEM 2024)", 70},
    [] { return std::make_unique<CompTuner>(); }};

constexpr double kInf = std::numeric_limits<double>::infinity();

using Position = std::vector<double>;  // slots x symbols, row-major

struct Particle {
  Position x, v, pbest;
  double pbest_y = kInf;  // measured target at pbest; +inf until one is measured
  size_t stale = 0;       // iterations since pbest last improved
};

}  // namespace

std::string CompTuner::name() const {
  return fmt::format("comptuner;L={},init={},particles={},screen={},w={},c1={},c2={},trees={}", opt_.length,
                     opt_.initial, opt_.particles, opt_.screen, opt_.inertia, opt_.c1, opt_.c2, opt_.forest.trees);
}

void CompTuner::search(SearchContext& ctx) {
  const size_t actions = ctx.space().size(), symbols = actions + 1, length = std::max<size_t>(1, opt_.length);
  const size_t dims = length * symbols;
  const int none = static_cast<int>(actions);  // the "no pass" symbol
  auto& rng = ctx.rng();
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> any_action(0, static_cast<int>(actions) - 1);

  SequenceModel model(actions, ctx.oz_count(), ctx.base_count(), opt_.forest);
  std::map<Genome, double> measured;  // model target of every measured sequence

  auto random_sequence = [&] {
    Genome g;
    while (g.empty())
      for (size_t s = 0; s < length; ++s)
        if (unit(rng) >= opt_.empty_prior) g.push_back(any_action(rng));
    return g;
  };
  auto decode = [&](const Position& x) {
    Genome g;
    for (size_t s = 0; s < length; ++s) {
      auto row = x.begin() + static_cast<long>(s * symbols);
      int sym = static_cast<int>(std::max_element(row, row + static_cast<long>(symbols)) - row);
      if (sym != none) g.push_back(sym);
    }
    return g;
  };
  // A measured sequence as a position: its symbols score 1, the rest below 0.5.
  auto encode = [&](const Genome& g) {
    Position x(dims);
    for (double& v : x) v = 0.5 * unit(rng);
    for (size_t s = 0; s < length; ++s) x[s * symbols + (s < g.size() ? static_cast<size_t>(g[s]) : actions)] = 1.0;
    return x;
  };
  auto random_position = [&] { return encode(random_sequence()); };

  auto submit = [&](const std::vector<Genome>& batch) {
    size_t before = ctx.evaluations();
    auto counts = ctx.evaluate(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (measured.count(batch[i]) || (!counts[i] && !ctx.lookup(batch[i]))) continue;  // repeat, or past the budget
      measured[batch[i]] = model.target(counts[i]);
      model.add(batch[i], counts[i]);
    }
    return ctx.evaluations() > before;
  };
  auto want = [&] { return std::min(ctx.batch_size(), std::max<size_t>(1, ctx.remaining())); };
  auto add_fresh_random = [&](std::vector<Genome>& batch, size_t n) {
    for (int tries = 0; batch.size() < n && tries < 1000; ++tries) {
      Genome g = random_sequence();
      if (!measured.count(g) && std::find(batch.begin(), batch.end(), g) == batch.end()) batch.push_back(std::move(g));
    }
  };

  // Phase 1: random sequences, then the ones the model knows least about.
  int idle = 0;  // rounds that measured nothing new
  while (!ctx.exhausted() && idle < 100 && model.size() < opt_.initial) {
    size_t n = std::min(want(), opt_.initial - model.size());
    std::vector<Genome> batch;
    if (model.size() < opt_.random_init) {
      add_fresh_random(batch, n);
    } else {
      model.fit(rng);
      std::vector<Genome> pool;
      add_fresh_random(pool, opt_.pool);
      std::vector<std::pair<double, size_t>> by_spread;
      for (size_t i = 0; i < pool.size(); ++i) by_spread.push_back({model.predict(pool[i]).spread, i});
      std::stable_sort(by_spread.begin(), by_spread.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      for (size_t i = 0; i < by_spread.size() && batch.size() < n; ++i) batch.push_back(pool[by_spread[i].second]);
    }
    idle = submit(batch) ? 0 : idle + 1;
  }
  if (ctx.exhausted() || idle >= 100) return;

  // Phase 2: the swarm, seeded with the best measured sequences.
  model.fit(rng);
  std::vector<Particle> swarm;
  for (const Genome& g : model.top(opt_.particles / 2)) {
    Position x = encode(g);
    swarm.push_back({x, Position(dims, 0.0), x, measured.at(g), 0});
  }
  while (swarm.size() < std::max<size_t>(1, opt_.particles)) {
    Position x = random_position();
    swarm.push_back({x, Position(dims, 0.0), x, kInf, 0});
  }
  Position gbest = swarm.front().pbest;
  double gbest_y = swarm.front().pbest_y;

  Position x2(dims), v2(dims);
  while (!ctx.exhausted() && idle < 100) {
    // The moves draw two numbers per dimension and candidate: a fast
    // generator, seeded from the context's, keeps that cheap.
    SplitMix64 fast{rng()};
    // Move: each particle takes the best of `screen` candidate moves, as the model predicts them.
    for (Particle& p : swarm) {
      double best_score = kInf;
      Position best_x, best_v;
      for (size_t m = 0; m < std::max<size_t>(1, opt_.screen); ++m) {
        for (size_t d = 0; d < dims; ++d) {
          double v = opt_.inertia * p.v[d] + opt_.c1 * fast.unit() * (p.pbest[d] - p.x[d]) +
                     opt_.c2 * fast.unit() * (gbest[d] - p.x[d]);
          v2[d] = std::clamp(v, -opt_.vmax, opt_.vmax);
          x2[d] = std::clamp(p.x[d] + v2[d], 0.0, 1.0);
        }
        for (size_t s = 0; s < length; ++s)
          if (fast.unit() < opt_.turbulence) x2[s * symbols + fast.below(symbols)] = 1.0;
        Genome g = decode(x2);
        if (g.empty()) continue;
        auto known = measured.find(g);
        double score = known != measured.end() ? known->second : model.predict(g).mean;
        if (best_x.empty() || score < best_score) {
          best_score = score;
          best_x = x2;
          best_v = v2;
        }
      }
      if (!best_x.empty()) {
        p.x = std::move(best_x);
        p.v = std::move(best_v);
      }
    }

    // Measure only the most promising new positions.
    std::vector<std::pair<double, Genome>> ranked;
    std::set<Genome> listed;
    for (const Particle& p : swarm) {
      Genome g = decode(p.x);
      if (g.empty() || measured.count(g) || !listed.insert(g).second) continue;
      ranked.push_back({model.predict(g).mean, std::move(g)});
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Genome> batch;
    for (size_t i = 0; i < ranked.size() && batch.size() < want(); ++i) batch.push_back(ranked[i].second);
    add_fresh_random(batch, want());  // the swarm sits on measured points: keep the pool busy
    idle = submit(batch) ? 0 : idle + 1;

    // pbest and gbest follow measurements only.
    for (Particle& p : swarm) {
      auto it = measured.find(decode(p.x));
      if (it != measured.end() && it->second < p.pbest_y) {
        p.pbest = p.x;
        p.pbest_y = it->second;
        p.stale = 0;
        if (p.pbest_y < gbest_y) {
          gbest = p.pbest;
          gbest_y = p.pbest_y;
        }
      } else if (++p.stale > opt_.restart_after) {
        p.x = random_position();
        std::fill(p.v.begin(), p.v.end(), 0.0);
        p.pbest = p.x;
        p.pbest_y = kInf;
        p.stale = 0;
      }
    }
    for (const Genome& g : batch)  // a random filler may beat the swarm
      if (auto it = measured.find(g); it != measured.end() && it->second < gbest_y) {
        gbest = encode(g);
        gbest_y = it->second;
      }
    model.fit(rng);
  }
}

}  // namespace cr1::search
