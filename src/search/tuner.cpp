#include "search/tuner.h"

#include <fmt/format.h>

namespace cr1::search {
namespace {

std::string key_of(const Genome& g) {
  std::string k;
  k.reserve(g.size() * 3);
  for (int x : g) {
    k += std::to_string(x);
    k += ',';
  }
  return k;
}

}  // namespace

Genome random_genome(std::mt19937_64& rng, size_t space_size, size_t min_len, size_t max_len) {
  std::uniform_int_distribution<size_t> len(min_len, max_len);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(space_size) - 1);
  Genome g(len(rng));
  for (int& x : g) x = pick(rng);
  return g;
}

SearchContext::SearchContext(env::Session& session, const ActionSpace& space, Budget budget, uint64_t seed)
    : session_(session), space_(space), budget_(budget), rng_(seed), start_(std::chrono::steady_clock::now()) {
  auto oz = session_.oz_count();
  oz_count_ = oz ? *oz : 0;
}

double SearchContext::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

bool SearchContext::exhausted() const {
  if (budget_.max_evaluations && evaluations_ >= budget_.max_evaluations) return true;
  return budget_.max_seconds > 0 && elapsed() >= budget_.max_seconds;
}

size_t SearchContext::remaining() const {
  if (budget_.max_seconds > 0 && elapsed() >= budget_.max_seconds) return 0;
  if (!budget_.max_evaluations) return std::numeric_limits<size_t>::max() / 2;
  return budget_.max_evaluations > evaluations_ ? budget_.max_evaluations - evaluations_ : 0;
}

size_t SearchContext::batch_size() const {
  return static_cast<size_t>(std::max(1, session_.planned_jobs())) * 2;
}

std::optional<std::optional<uint64_t>> SearchContext::lookup(const Genome& g) const {
  auto it = seen_.find(key_of(g));
  if (it == seen_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::optional<uint64_t>> SearchContext::evaluate(std::span<const Genome> genomes) {
  std::vector<std::optional<uint64_t>> out(genomes.size());
  std::vector<size_t> fresh;  // indices into genomes, first occurrence of each new key
  std::unordered_map<std::string, size_t> batch_keys;
  size_t left = remaining();
  std::vector<int> slot(genomes.size(), -1);
  for (size_t i = 0; i < genomes.size(); ++i) {
    std::string k = key_of(genomes[i]);
    if (auto it = seen_.find(k); it != seen_.end()) {
      out[i] = it->second;
      continue;
    }
    if (auto it = batch_keys.find(k); it != batch_keys.end()) {
      slot[i] = static_cast<int>(it->second);
      continue;
    }
    if (genomes[i].empty() || fresh.size() >= left) continue;  // past the budget
    batch_keys.emplace(k, fresh.size());
    slot[i] = static_cast<int>(fresh.size());
    fresh.push_back(i);
  }
  if (fresh.empty()) return out;

  std::vector<ir::PassSequence> seqs;
  seqs.reserve(fresh.size());
  for (size_t i : fresh) seqs.push_back(space_.to_sequence(genomes[i]));
  auto results = session_.evaluate(seqs);
  for (size_t k = 0; k < fresh.size(); ++k) {
    const Genome& g = genomes[fresh[k]];
    std::optional<uint64_t> count;
    if (results[k].ok()) count = results[k].instruction_count;
    else ++failures_;
    seen_[key_of(g)] = count;
    ++evaluations_;
    if (count && (!best_count_ || *count < *best_count_ || (*count == *best_count_ && g.size() < best_.size()))) {
      bool improved = !best_count_ || *count < *best_count_;
      best_ = g;
      best_count_ = count;
      if (improved) trace_.push_back({evaluations_, elapsed(), *count});
    }
  }
  for (size_t i = 0; i < genomes.size(); ++i)
    if (slot[i] >= 0) out[i] = seen_[key_of(genomes[i])];
  return out;
}

std::optional<uint64_t> SearchContext::evaluate(const Genome& genome) {
  return evaluate(std::span<const Genome>(&genome, 1)).front();
}

TuneResult SearchContext::finish(const std::string& method) {
  TuneResult r;
  r.method = method;
  r.oz_count = oz_count_;
  r.evaluations = evaluations_;
  r.failures = failures_;
  r.seconds = elapsed();
  r.trace = trace_;
  if (best_count_) {
    r.best_raw = space_.to_sequence(best_);
    r.best_raw_count = *best_count_;
    r.over_oz_raw = env::over_oz_fraction(oz_count_, *best_count_);
  }
  if (best_count_ && *best_count_ < oz_count_) {
    r.answer = r.best_raw;
    r.answer_count = *best_count_;
    r.over_oz = r.over_oz_raw;
  } else {
    // Never worse than -Oz: nothing found beats it, so the answer is -Oz.
    r.answer = *ir::parse_sequence("-Oz");
    r.answer_count = oz_count_;
    r.over_oz = 0;
    r.fell_back_to_oz = true;
    if (!best_count_) r.over_oz_raw = 0;
  }
  return r;
}

Expected<TuneResult> tune(env::Session& session, Tuner& tuner, Budget budget, uint64_t seed, const ActionSpace& space) {
  auto oz = session.oz_count();
  if (!oz) return oz.take_error();
  SearchContext ctx(session, space, budget, seed);
  tuner.search(ctx);
  return ctx.finish(tuner.name());
}

}  // namespace cr1::search
