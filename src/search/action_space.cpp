#include "search/action_space.h"

#include <set>

namespace cr1::search {

bool is_non_size_flag(std::string_view flag) {
  // Instrumentation and bookkeeping passes add code or only rename/strip
  // metadata; the reference synergy graph used none of them.
  static const std::set<std::string_view> names = {
      "add-discriminators", "ee-instrument", "post-inline-ee-instrument", "insert-gcov-profiling",
      "sancov",             "cross-dso-cfi", "instnamer",                 "pgo-memop-opt",
      "rewrite-statepoints-for-gc"};
  return names.contains(flag) || flag.starts_with("coro-") || flag.starts_with("strip");
}

const ActionSpace& ActionSpace::size_actions() {
  static const ActionSpace space = [] {
    ActionSpace s;
    for (const auto& a : ir::actions())
      if (!is_non_size_flag(a.flag)) s.actions_.push_back(&a);
    return s;
  }();
  return space;
}

int ActionSpace::index_of(std::string_view flag) const {
  while (!flag.empty() && flag.front() == '-') flag.remove_prefix(1);
  for (size_t i = 0; i < actions_.size(); ++i)
    if (actions_[i]->flag == flag) return static_cast<int>(i);
  return -1;
}

ir::PassSequence ActionSpace::to_sequence(const Genome& genome) const {
  ir::PassSequence seq;
  seq.elements.reserve(genome.size());
  for (int g : genome) {
    const auto& a = action(g);
    seq.elements.push_back({std::string(a.pipeline), "--" + std::string(a.flag)});
  }
  return seq;
}

std::optional<Genome> ActionSpace::from_sequence(const ir::PassSequence& seq) const {
  Genome g;
  for (const auto& e : seq.elements) {
    int i = e.flag.empty() ? -1 : index_of(e.flag);
    if (i < 0) return std::nullopt;
    g.push_back(i);
  }
  return g;
}

}  // namespace cr1::search
