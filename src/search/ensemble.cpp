#include "search/ensemble.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "search/auc_bandit.h"
#include "search/registry.h"

namespace cr1::search {
namespace {

const TunerRegistration kRegistration{
    {"opentuner", "OpenTuner-style ensemble: random, GA, differential evolution, hill climbing under an AUC bandit", 45},
    [] { return std::make_unique<Ensemble>(); }};

constexpr size_t kMinLen = 10, kMaxLen = 30, kSlots = 30;
constexpr int kNone = -1;  // an empty slot of a fixed-length DE vector

// Evaluated genomes, best first, shared by the techniques.
struct Database {
  std::vector<std::pair<uint64_t, Genome>> ranked;
  void add(const Genome& g, uint64_t count) {
    auto it = std::lower_bound(ranked.begin(), ranked.end(), count, [](auto& e, uint64_t c) { return e.first < c; });
    ranked.insert(it, {count, g});
    if (ranked.size() > 200) ranked.pop_back();
  }
};

using Rng = std::mt19937_64;

int random_action(Rng& rng, size_t n) { return std::uniform_int_distribution<int>(0, static_cast<int>(n) - 1)(rng); }

// One random edit: replace, insert, delete, or swap.
void mutate(Genome& g, Rng& rng, size_t n) {
  std::uniform_int_distribution<int> op(0, 3);
  auto pos = [&](size_t size) { return std::uniform_int_distribution<size_t>(0, size - 1)(rng); };
  switch (g.empty() ? 1 : op(rng)) {
    case 0: g[pos(g.size())] = random_action(rng, n); break;
    case 1: if (g.size() < kMaxLen + 10) g.insert(g.begin() + static_cast<long>(pos(g.size() + 1)), random_action(rng, n)); break;
    case 2: if (g.size() > 1) g.erase(g.begin() + static_cast<long>(pos(g.size()))); break;
    case 3: std::swap(g[pos(g.size())], g[pos(g.size())]); break;
  }
}

const Genome& pick_ranked(const Database& db, Rng& rng, size_t top) {
  size_t k = std::min(top, db.ranked.size());
  return db.ranked[std::uniform_int_distribution<size_t>(0, k - 1)(rng)].second;
}

Genome propose_random(const Database&, Rng& rng, size_t n) { return random_genome(rng, n, kMinLen, kMaxLen); }

Genome propose_hill_climb(const Database& db, Rng& rng, size_t n) {
  if (db.ranked.empty()) return propose_random(db, rng, n);
  Genome g = db.ranked.front().second;
  int edits = std::uniform_int_distribution<int>(1, 2)(rng);
  for (int i = 0; i < edits; ++i) mutate(g, rng, n);
  return g;
}

Genome propose_genetic(const Database& db, Rng& rng, size_t n) {
  if (db.ranked.size() < 2) return propose_random(db, rng, n);
  const Genome& a = pick_ranked(db, rng, 20);
  const Genome& b = pick_ranked(db, rng, 20);
  size_t ca = std::uniform_int_distribution<size_t>(0, a.size())(rng);
  size_t cb = std::uniform_int_distribution<size_t>(0, b.size())(rng);
  Genome child(a.begin(), a.begin() + static_cast<long>(ca));
  child.insert(child.end(), b.begin() + static_cast<long>(cb), b.end());
  if (child.size() > kMaxLen + 10) child.resize(kMaxLen + 10);
  if (std::bernoulli_distribution(0.3)(rng)) mutate(child, rng, n);
  if (child.empty()) child.push_back(random_action(rng, n));
  return child;
}

// DE/rand/1/bin on fixed-length vectors of action ids (kNone = empty slot):
// where the crossover picks the donor, take a + (b - c) wrapped into the
// action range; this moves along the directions in which good genomes differ.
Genome propose_differential(const Database& db, Rng& rng, size_t n) {
  if (db.ranked.size() < 4) return propose_genetic(db, rng, n);
  auto slots = [](const Genome& g) {
    std::vector<int> v(kSlots, kNone);
    for (size_t i = 0; i < g.size() && i < kSlots; ++i) v[i] = g[i];
    return v;
  };
  auto target = slots(pick_ranked(db, rng, 40));
  auto a = slots(pick_ranked(db, rng, 40)), b = slots(pick_ranked(db, rng, 40)), c = slots(pick_ranked(db, rng, 40));
  std::bernoulli_distribution cross(0.5);
  size_t forced = std::uniform_int_distribution<size_t>(0, kSlots - 1)(rng);
  int range = static_cast<int>(n) + 1;  // actions plus "none"
  for (size_t i = 0; i < kSlots; ++i) {
    if (i != forced && !cross(rng)) continue;
    int donor = ((a[i] + 1) + (b[i] - c[i]) + 2 * range) % range - 1;
    target[i] = donor;
  }
  Genome g;
  for (int x : target)
    if (x != kNone) g.push_back(x);
  if (g.empty()) g.push_back(random_action(rng, n));
  return g;
}

struct Technique {
  const char* name;
  Genome (*propose)(const Database&, Rng&, size_t);
};

constexpr Technique kTechniques[] = {
    {"random", propose_random},
    {"genetic", propose_genetic},
    {"differential", propose_differential},
    {"hill-climb", propose_hill_climb},
};

}  // namespace

std::string Ensemble::name() const { return "opentuner;random+genetic+de+hill,auc-bandit(C=0.05,w=500)"; }

void Ensemble::search(SearchContext& ctx) {
  Database db;
  AucBandit bandit(std::size(kTechniques));
  size_t n = ctx.space().size();
  int idle = 0;
  while (!ctx.exhausted() && idle < 50) {
    size_t batch = ctx.batch_size();
    std::vector<Genome> proposals;
    std::vector<size_t> arms;
    // Plan the batch on a copy that counts each pick as a pending use, so one
    // batch spreads over techniques the bandit rates alike; the real bandit
    // hears the outcomes after evaluation.
    AucBandit planning = bandit;
    for (size_t i = 0; i < batch; ++i) {
      size_t arm = planning.choose();
      planning.record(arm, false);
      arms.push_back(arm);
      proposals.push_back(kTechniques[arm].propose(db, ctx.rng(), n));
    }
    std::optional<uint64_t> best_before = ctx.best_count();
    size_t before = ctx.evaluations();
    auto results = ctx.evaluate(proposals);
    idle = ctx.evaluations() == before ? idle + 1 : 0;
    for (size_t i = 0; i < proposals.size(); ++i) {
      bool new_best = results[i] && (!best_before || *results[i] < *best_before);
      bandit.record(arms[i], new_best);
      if (results[i]) db.add(proposals[i], *results[i]);
    }
  }
}

}  // namespace cr1::search
