#include "search/boca.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "search/registry.h"

namespace cr1::search {

namespace {

const TunerRegistration kRegistration{
    {"boca", "BOCA: random-forest Bayesian optimization around impactful passes (Chen et al., ICSE 2021)", 60},
    [] { return std::make_unique<Boca>(); }};

}  // namespace

std::string Boca::name() const {
  return fmt::format("boca;K={},init={},C0={},offset={},scale={},decay={},trees={}", opt_.impactful, opt_.initial,
                     opt_.sparse0, opt_.offset, opt_.scale, opt_.decay, opt_.forest.trees);
}

size_t Boca::sparse_count(size_t t) const {
  double sigma2 = -opt_.scale * opt_.scale / (2 * std::log(opt_.decay));
  double over = std::max(0.0, static_cast<double>(t) - opt_.offset);
  double c = static_cast<double>(opt_.sparse0) * std::exp(-over * over / (2 * sigma2));
  return std::max<size_t>(1, static_cast<size_t>(std::lround(c)));
}

void Boca::search(SearchContext& ctx) {
  const size_t actions = ctx.space().size();
  auto& rng = ctx.rng();
  SequenceModel model(actions, ctx.oz_count(), ctx.base_count(), opt_.forest);
  std::set<Genome> known;  // every sequence the model has seen

  auto submit = [&](const std::vector<Genome>& batch) {
    size_t before = ctx.evaluations();
    auto counts = ctx.evaluate(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (known.count(batch[i]) || (!counts[i] && !ctx.lookup(batch[i]))) continue;  // repeat, or past the budget
      known.insert(batch[i]);
      model.add(batch[i], counts[i]);
    }
    return ctx.evaluations() > before;
  };
  auto fresh_random = [&](std::vector<Genome>& batch, size_t want) {
    for (int tries = 0; batch.size() < want && tries < 1000; ++tries) {
      Genome g = random_genome(rng, actions, opt_.min_len, opt_.max_len);
      if (!known.count(g) && std::find(batch.begin(), batch.end(), g) == batch.end()) batch.push_back(std::move(g));
    }
  };

  int idle = 0;  // rounds that evaluated nothing new
  while (!ctx.exhausted() && idle < 100 && model.size() < opt_.initial) {
    std::vector<Genome> batch;
    fresh_random(batch, std::min(ctx.batch_size(), opt_.initial - model.size()));
    idle = submit(batch) ? 0 : idle + 1;
  }

  const size_t k = std::min({opt_.impactful, size_t{12}, actions > 1 ? actions - 1 : 0});
  while (!ctx.exhausted() && idle < 100) {
    model.fit(rng);

    // The K impactful actions by forest importance (random ones while the
    // forest has made no split).
    std::vector<int> by_importance(actions);
    std::iota(by_importance.begin(), by_importance.end(), 0);
    std::shuffle(by_importance.begin(), by_importance.end(), rng);
    auto imp = model.importance();
    std::stable_sort(by_importance.begin(), by_importance.end(),
                     [&](int a, int b) { return imp[static_cast<size_t>(a)] > imp[static_cast<size_t>(b)]; });
    std::vector<int> slot(actions, -1);  // action -> bit in the subset mask
    for (size_t j = 0; j < k; ++j) slot[static_cast<size_t>(by_importance[j])] = static_cast<int>(j);
    std::vector<int> others(by_importance.begin() + static_cast<long>(k), by_importance.end());
    std::uniform_int_distribution<size_t> pick_other(0, others.size() - 1);
    const size_t c = others.empty() ? 0 : sparse_count(ctx.evaluations());
    auto parents = model.top(opt_.parents);

    std::vector<Genome> candidates;
    for (uint32_t mask = 0; mask < (1u << k); ++mask) {
      auto in_mask = [&](int a) { return slot[static_cast<size_t>(a)] >= 0 && ((mask >> slot[static_cast<size_t>(a)]) & 1); };
      // Global: the subset plus C sparse other actions, in random order.
      Genome g;
      for (size_t j = 0; j < k; ++j)
        if ((mask >> j) & 1) g.push_back(by_importance[j]);
      for (size_t e = 0; e < c; ++e) g.push_back(others[pick_other(rng)]);
      std::shuffle(g.begin(), g.end(), rng);
      candidates.push_back(std::move(g));

      if (parents.empty()) continue;
      // Local: a good parent with its impactful content set to the subset.
      const Genome& p = parents[mask % parents.size()];
      Genome h;
      std::vector<char> present(k, 0);
      for (int a : p) {
        if (slot[static_cast<size_t>(a)] < 0 || in_mask(a)) h.push_back(a);
        if (slot[static_cast<size_t>(a)] >= 0) present[static_cast<size_t>(slot[static_cast<size_t>(a)])] = 1;
      }
      for (size_t j = 0; j < k; ++j)
        if (((mask >> j) & 1) && !present[j]) {
          std::uniform_int_distribution<size_t> at(0, h.size());
          h.insert(h.begin() + static_cast<long>(at(rng)), by_importance[j]);
        }
      // C sparse edits of the less-impactful part: insert, delete or replace.
      for (size_t e = 0; e < c; ++e) {
        std::vector<size_t> other_at;
        for (size_t i = 0; i < h.size(); ++i)
          if (slot[static_cast<size_t>(h[i])] < 0) other_at.push_back(i);
        int op = std::uniform_int_distribution<int>(0, 2)(rng);
        if (op == 0 || other_at.empty()) {
          std::uniform_int_distribution<size_t> at(0, h.size());
          h.insert(h.begin() + static_cast<long>(at(rng)), others[pick_other(rng)]);
        } else {
          size_t i = other_at[std::uniform_int_distribution<size_t>(0, other_at.size() - 1)(rng)];
          if (op == 1) h.erase(h.begin() + static_cast<long>(i));
          else h[i] = others[pick_other(rng)];
        }
      }
      // Keep it within max_len, trimming the less-impactful part first
      // (unbounded, inserts would let lengths drift up over generations).
      while (h.size() > opt_.max_len) {
        std::vector<size_t> other_at;
        for (size_t i = 0; i < h.size(); ++i)
          if (slot[static_cast<size_t>(h[i])] < 0) other_at.push_back(i);
        size_t i = other_at.empty() ? std::uniform_int_distribution<size_t>(0, h.size() - 1)(rng)
                                    : other_at[std::uniform_int_distribution<size_t>(0, other_at.size() - 1)(rng)];
        h.erase(h.begin() + static_cast<long>(i));
      }
      candidates.push_back(std::move(h));
    }

    // The batch: the best fresh candidates by expected improvement.
    const double best = model.best();
    std::set<Genome> seen_here;
    std::vector<std::pair<double, size_t>> scored;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const Genome& g = candidates[i];
      if (g.empty() || known.count(g) || !seen_here.insert(g).second) continue;
      scored.push_back({expected_improvement(model.predict(g), best), i});
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    size_t want = std::min(ctx.batch_size(), std::max<size_t>(1, ctx.remaining()));
    std::vector<Genome> batch;
    for (size_t i = 0; i < scored.size() && batch.size() < want; ++i) batch.push_back(candidates[scored[i].second]);
    fresh_random(batch, want);  // candidates ran dry (small spaces): keep the pool busy anyway
    idle = submit(batch) ? 0 : idle + 1;
  }
}

}  // namespace cr1::search
