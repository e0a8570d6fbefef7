#include "search/synergy/pair_miner.h"

#include <chrono>

namespace cr1::search::synergy {

ProgramSynergy mine_program(env::Session& session, const ActionSpace& space) {
  auto t0 = std::chrono::steady_clock::now();
  ProgramSynergy out;
  out.base_count = session.base_count();
  const int n = static_cast<int>(space.size());

  std::vector<ir::PassSequence> singles;
  singles.reserve(space.size());
  for (int b = 0; b < n; ++b) singles.push_back(space.to_sequence({b}));
  auto single = session.evaluate(singles);
  out.evaluations += singles.size();

  std::vector<int> effective;
  for (int b = 0; b < n; ++b) {
    const auto& r = single[static_cast<size_t>(b)];
    if (!r.ok()) ++out.failures;
    else if (r.instruction_count < out.base_count) effective.push_back(b);
  }

  std::vector<ir::PassSequence> pairs;
  pairs.reserve(effective.size() * space.size());
  for (int b : effective)
    for (int a = 0; a < n; ++a) pairs.push_back(space.to_sequence({a, b}));
  auto paired = session.evaluate(pairs);
  out.evaluations += pairs.size();

  size_t k = 0;
  for (int b : effective) {
    uint64_t after_b = single[static_cast<size_t>(b)].instruction_count;
    out.effective.emplace_back(space.action(b).flag);
    for (int a = 0; a < n; ++a, ++k) {
      const auto& r = paired[k];
      if (!r.ok()) ++out.failures;
      else if (r.instruction_count < after_b) out.pairs.emplace_back(space.action(a).flag, space.action(b).flag);
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cr1::search::synergy
