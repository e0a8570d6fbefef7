// The autotuner interface: a technique proposes sequences and hears their
// results; the SearchContext owns evaluation, dedup, the budget and the best
// so far (cf. OpenTuner's technique/driver split).
//
//   tune(session, budget{evaluations, seconds}, seed) -> TuneResult
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "env/session.h"
#include "search/action_space.h"

namespace cr1::search {

struct Budget {
  size_t max_evaluations = 1000;  // distinct sequences evaluated (repeats are free)
  double max_seconds = 0;         // wall clock; 0 = no limit
};

struct TracePoint {
  size_t evaluations;
  double seconds;
  uint64_t best_count;
};

struct TuneResult {
  std::string method;
  // The best sequence found and its count, whatever it is (may lose to -Oz).
  ir::PassSequence best_raw;
  uint64_t best_raw_count = 0;
  double over_oz_raw = 0;  // fraction
  // The answer: best_raw when it beats -Oz, else -Oz itself (OverOz 0).
  ir::PassSequence answer;
  uint64_t answer_count = 0;
  double over_oz = 0;  // fraction, >= 0
  bool fell_back_to_oz = false;
  uint64_t oz_count = 0;
  size_t evaluations = 0;
  size_t failures = 0;  // crashed / timeout / invalid results seen
  double seconds = 0;
  std::vector<TracePoint> trace;  // one point per improvement
};

class SearchContext {
 public:
  SearchContext(env::Session& session, const ActionSpace& space, Budget budget, uint64_t seed);

  const ActionSpace& space() const { return space_; }
  std::mt19937_64& rng() { return rng_; }
  uint64_t oz_count() const { return oz_count_; }
  uint64_t base_count() const { return session_.base_count(); }
  env::Session& session() { return session_; }

  // Evaluates genomes in one parallel batch. Each result is the instruction
  // count, or nullopt for a failed evaluation or one past the budget. Repeats
  // (within the batch or of earlier ones) cost nothing.
  std::vector<std::optional<uint64_t>> evaluate(std::span<const Genome> genomes);
  std::optional<uint64_t> evaluate(const Genome& genome);

  bool exhausted() const;
  size_t evaluations() const { return evaluations_; }
  size_t remaining() const;     // evaluations left (SIZE_MAX-ish if only time-bound)
  double elapsed() const;
  // How many evaluations to propose at once: enough to keep the pool busy.
  size_t batch_size() const;

  const Genome& best() const { return best_; }
  std::optional<uint64_t> best_count() const { return best_count_; }
  // Count of a genome evaluated before, if any.
  std::optional<std::optional<uint64_t>> lookup(const Genome& g) const;

  // Filled in by tune().
  TuneResult finish(const std::string& method);

 private:
  env::Session& session_;
  const ActionSpace& space_;
  Budget budget_;
  std::mt19937_64 rng_;
  uint64_t oz_count_ = 0;
  std::chrono::steady_clock::time_point start_;
  size_t evaluations_ = 0, failures_ = 0;
  std::unordered_map<std::string, std::optional<uint64_t>> seen_;
  Genome best_;
  std::optional<uint64_t> best_count_;
  std::vector<TracePoint> trace_;
};

class Tuner {
 public:
  virtual ~Tuner() = default;
  // A name that says the configuration, e.g. "ga;pop=50,mut=0.1".
  virtual std::string name() const = 0;
  // Spends the context's budget (returns early if it has nothing left to try).
  virtual void search(SearchContext& ctx) = 0;
};

// Runs `tuner` on the session and clamps the answer at -Oz.
Expected<TuneResult> tune(env::Session& session, Tuner& tuner, Budget budget, uint64_t seed,
                          const ActionSpace& space = ActionSpace::size_actions());

// Random genome of length in [min_len, max_len].
Genome random_genome(std::mt19937_64& rng, size_t space_size, size_t min_len = 10, size_t max_len = 30);

}  // namespace cr1::search
