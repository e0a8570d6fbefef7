#include "search/local_search.h"

#include <set>

#include <fmt/format.h>

#include "search/registry.h"

namespace cr1::search {

namespace {
const TunerRegistration kRegistration{
    {"local", "local search: one-edit neighbours of a random genome, restarts after stagnation", 30},
    [] { return std::make_unique<LocalSearch>(); }};

// Lower count wins; at equal count the shorter genome does (same as the context's best).
bool better(uint64_t a, size_t len_a, uint64_t b, size_t len_b) { return a < b || (a == b && len_a < len_b); }
}  // namespace

Genome mutate_once(const Genome& g, std::mt19937_64& rng, size_t space_size, size_t cap) {
  std::uniform_int_distribution<int> pick_action(0, static_cast<int>(space_size) - 1);
  auto pos = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  Genome out = g;
  for (;;) {
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0:  // insert
        if (out.size() >= cap) continue;
        out.insert(out.begin() + static_cast<long>(pos(out.size() + 1)), pick_action(rng));
        return out;
      case 1:  // delete (never down to the empty sequence, which is not a genome)
        if (out.size() <= 1) continue;
        out.erase(out.begin() + static_cast<long>(pos(out.size())));
        return out;
      case 2: {  // replace with a different action
        if (out.empty() || space_size < 2) continue;
        size_t i = pos(out.size());
        int a = pick_action(rng);
        if (a == out[i]) a = (a + 1) % static_cast<int>(space_size);
        out[i] = a;
        return out;
      }
      default: {  // swap two positions holding different actions
        if (out.size() < 2) continue;
        size_t i = pos(out.size()), j = pos(out.size());
        if (out[i] == out[j]) continue;
        std::swap(out[i], out[j]);
        return out;
      }
    }
  }
}

std::string LocalSearch::name() const {
  return fmt::format("local;len={}-{},cap={},patience={},restart_best={},kick={}", o_.min_len, o_.max_len, o_.cap,
                     o_.patience, o_.restart_best, o_.kick);
}

void LocalSearch::search(SearchContext& ctx) {
  starts_ = 0;
  const size_t n = ctx.space().size();
  std::bernoulli_distribution from_best(o_.restart_best);
  Genome cur;
  uint64_t cur_count = 0;
  bool need_start = true;
  bool start_pending = false;  // cur not evaluated yet: it goes first in the batch
  size_t stale = 0;  // neighbours evaluated since the last move
  int idle = 0;

  // Stop when many batches in a row brought nothing new (a tiny space).
  while (!ctx.exhausted() && idle < 100) {
    if (need_start) {
      bool first_start = starts_ == 0 && o_.first_from_best;
      if (ctx.best_count() && (first_start || from_best(ctx.rng()))) {
        cur = ctx.best();
        for (size_t k = 0; k < o_.kick; ++k) cur = mutate_once(cur, ctx.rng(), n, o_.cap);
      } else {
        cur = random_genome(ctx.rng(), n, o_.min_len, o_.max_len);
      }
      need_start = false;
      stale = 0;
      ++starts_;
      start_pending = true;
      if (auto known = ctx.lookup(cur)) {
        if (!*known) {  // known to fail: no place to climb from
          need_start = true;
          ++idle;
          continue;
        }
        cur_count = **known;
        start_pending = false;
      }
    }
    // The batch: the start itself if it is new, then neighbours not seen
    // before, so that every evaluation tells us something.
    std::vector<Genome> batch;
    std::set<Genome> in_batch;
    if (start_pending) {
      batch.push_back(cur);
      in_batch.insert(cur);
    }
    const size_t want = ctx.batch_size() + batch.size();
    for (size_t tries = 0; batch.size() < want && tries < 20 * want; ++tries) {
      Genome nb = mutate_once(cur, ctx.rng(), n, o_.cap);
      if (ctx.lookup(nb) || in_batch.count(nb)) continue;
      in_batch.insert(nb);
      batch.push_back(std::move(nb));
    }
    size_t before = ctx.evaluations();
    auto counts = ctx.evaluate(batch);
    idle = ctx.evaluations() == before ? idle + 1 : 0;

    size_t first = 0;
    if (start_pending) {
      start_pending = false;
      first = 1;
      // A start that failed (crash, or past the budget) is no place to climb from.
      if (!counts.front()) {
        need_start = true;
        continue;
      }
      cur_count = *counts.front();
    }
    // Move to the best improving neighbour of this batch.
    std::optional<size_t> move;
    for (size_t i = first; i < batch.size(); ++i) {
      if (!counts[i]) continue;
      const uint64_t best_here = move ? *counts[*move] : cur_count;
      const size_t best_len = move ? batch[*move].size() : cur.size();
      if (better(*counts[i], batch[i].size(), best_here, best_len)) move = i;
    }
    if (move) {
      cur = batch[*move];
      cur_count = *counts[*move];
      stale = 0;
    } else if (batch.size() == first || (stale += batch.size() - first) >= o_.patience) {
      // Patience spent, or no unseen neighbour left to try.
      need_start = true;
    }
  }
}

}  // namespace cr1::search
