#include "search/tpe.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "search/registry.h"

namespace cr1::search {

namespace {

const TunerRegistration kRegistration{
    {"tpe", "tree-structured Parzen estimator over 20 pass slots (Bergstra et al. 2011)", 50},
    [] { return std::make_unique<Tpe>(); }};

using Slots = std::vector<int>;

// Per-slot categorical densities, kept as cumulative sums for sampling.
struct SlotDensity {
  std::vector<std::vector<double>> p, cum;

  SlotDensity(size_t length, const std::vector<double>& probs) : p(length, probs), cum(length) { finish(); }
  void finish() {
    for (size_t s = 0; s < p.size(); ++s) {
      cum[s].resize(p[s].size());
      std::partial_sum(p[s].begin(), p[s].end(), cum[s].begin());
    }
  }
  Slots sample(std::mt19937_64& rng) const {
    std::uniform_real_distribution<double> unit(0, 1);
    Slots x(p.size());
    for (size_t s = 0; s < p.size(); ++s) {
      double u = unit(rng) * cum[s].back();
      auto it = std::upper_bound(cum[s].begin(), cum[s].end(), u);
      x[s] = static_cast<int>(std::min<size_t>(static_cast<size_t>(it - cum[s].begin()), cum[s].size() - 1));
    }
    return x;
  }
};

// Optuna's default_weights: equal below 25 trials, else the oldest trials
// ramp linearly from 1/n up to 1 so that recent trials dominate.
std::vector<double> recency_weights(size_t n) {
  std::vector<double> w(n, 1.0);
  if (n < 25) return w;
  size_t ramp = n - 25;
  for (size_t i = 0; i < ramp; ++i)
    w[i] = ramp == 1 ? 1.0 / static_cast<double>(n)
                     : 1.0 / static_cast<double>(n) + (1.0 - 1.0 / static_cast<double>(n)) * static_cast<double>(i) /
                                                          static_cast<double>(ramp - 1);
  return w;
}

}  // namespace

std::string Tpe::name() const {
  return fmt::format("tpe;L={},startup={},gamma={},cand={},prior={},empty={}", opt_.length, opt_.startup, opt_.gamma,
                     opt_.candidates, opt_.prior_weight, opt_.empty_prior);
}

void Tpe::search(SearchContext& ctx) {
  const size_t actions = ctx.space().size(), symbols = actions + 1, length = std::max<size_t>(1, opt_.length);
  const int none = static_cast<int>(actions);  // the "no pass" symbol
  std::vector<double> prior(symbols, (1.0 - opt_.empty_prior) / static_cast<double>(actions));
  prior[actions] = opt_.empty_prior;
  const SlotDensity prior_density(length, prior);
  auto& rng = ctx.rng();

  auto decode = [&](const Slots& x) {
    Genome g;
    for (int s : x)
      if (s != none) g.push_back(s);
    return g;
  };
  auto draw = [&](const SlotDensity& d) {
    for (;;) {  // an all-"no pass" draw is not a sequence; draw again
      Slots x = d.sample(rng);
      if (std::any_of(x.begin(), x.end(), [&](int s) { return s != none; })) return x;
    }
  };

  struct Trial {
    Slots x;
    double y;  // instruction count; +inf for a failed evaluation
  };
  std::vector<Trial> trials;

  int idle = 0;  // rounds that evaluated nothing new (tiny spaces, or a converged model)
  while (!ctx.exhausted() && idle < 100) {
    size_t batch = std::min(ctx.batch_size(), std::max<size_t>(1, ctx.remaining()));
    std::vector<Slots> proposals;
    if (trials.size() < opt_.startup) {
      for (size_t b = 0; b < batch; ++b) proposals.push_back(draw(prior_density));
    } else {
      // Split at the gamma quantile; ties keep the older trial first.
      std::vector<size_t> order(trials.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return trials[a].y < trials[b].y; });
      size_t n_good = std::clamp<size_t>(static_cast<size_t>(std::ceil(opt_.gamma * static_cast<double>(trials.size()))), 1,
                                         trials.size() - 1);
      std::vector<char> good(trials.size(), 0);
      for (size_t i = 0; i < n_good; ++i) good[order[i]] = 1;

      // Smoothed densities: weighted counts plus prior_weight * prior.
      auto fit = [&](bool want_good) {
        std::vector<size_t> members;  // in observation order, for the recency weights
        for (size_t i = 0; i < trials.size(); ++i)
          if (static_cast<bool>(good[i]) == want_good) members.push_back(i);
        auto w = recency_weights(members.size());
        double total = std::accumulate(w.begin(), w.end(), 0.0) + opt_.prior_weight;
        SlotDensity d(length, prior);
        for (size_t s = 0; s < length; ++s) {
          for (size_t k = 0; k < symbols; ++k) d.p[s][k] *= opt_.prior_weight;
          for (size_t m = 0; m < members.size(); ++m) d.p[s][static_cast<size_t>(trials[members[m]].x[s])] += w[m];
          for (double& v : d.p[s]) v /= total;
        }
        d.finish();
        return d;
      };
      SlotDensity l = fit(true), g = fit(false);
      std::vector<std::vector<double>> log_ratio(length, std::vector<double>(symbols));
      for (size_t s = 0; s < length; ++s)
        for (size_t k = 0; k < symbols; ++k) log_ratio[s][k] = std::log(l.p[s][k]) - std::log(g.p[s][k]);

      std::set<Genome> in_batch;
      for (size_t b = 0; b < batch; ++b) {
        // Best l/g among the candidates, preferring ones not evaluated yet.
        std::optional<Slots> best;
        double best_score = -std::numeric_limits<double>::infinity();
        for (size_t c = 0; c < opt_.candidates; ++c) {
          Slots x = draw(l);
          Genome gen = decode(x);
          if (in_batch.count(gen) || ctx.lookup(gen)) continue;
          double score = 0;
          for (size_t s = 0; s < length; ++s) score += log_ratio[s][static_cast<size_t>(x[s])];
          if (score > best_score) {
            best_score = score;
            best = std::move(x);
          }
        }
        // l has collapsed onto known sequences: explore from the prior instead.
        if (!best) best = draw(prior_density);
        in_batch.insert(decode(*best));
        proposals.push_back(std::move(*best));
      }
    }

    std::vector<Genome> genomes;
    for (const Slots& x : proposals) genomes.push_back(decode(x));
    size_t before = ctx.evaluations();
    auto counts = ctx.evaluate(genomes);
    for (size_t i = 0; i < proposals.size(); ++i) {
      // Past the budget nothing was learned; a failure is a (worst) result.
      if (!counts[i] && !ctx.lookup(genomes[i])) continue;
      trials.push_back({proposals[i], counts[i] ? static_cast<double>(*counts[i]) : std::numeric_limits<double>::infinity()});
    }
    idle = ctx.evaluations() == before ? idle + 1 : 0;
  }
}

}  // namespace cr1::search
