#include "search/action_space.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

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

namespace {

// Extra actions of the extended space. "Oz" prints as -Oz; the others are not
// legacy flags and print as their pipeline text. iroutliner is left out: in
// LLVM 19.1.7, function(loop-mssa(loop-simplifycfg)),iroutliner,attributor
// turns examples/matrix.c into an infinite loop (found by our own search).
constexpr ir::Action kExtraActions[] = {
    {"Oz", "default<Oz>"},
    {"constraint-elimination", "function(constraint-elimination)"},
    {"vector-combine", "function(vector-combine)"},
    {"dfa-jump-threading", "function(dfa-jump-threading)"},
    {"simplifycfg-hoist-sink", "function(simplifycfg<hoist-common-insts;sink-common-insts>)"},
    {"gvn-sink", "function(gvn-sink)"},
    {"jump-table-to-switch", "function(jump-table-to-switch)"},
    {"infer-alignment", "function(infer-alignment)"},
    {"attributor-light", "attributor-light"},
    {"scc-oz-module-inliner", "scc-oz-module-inliner"},
    {"loop-flatten", "function(loop(loop-flatten))"},
};

std::string display_flag(const ir::Action& a) {
  if (ir::find_action(a.flag) == &a) return "--" + std::string(a.flag);
  if (a.flag == "Oz") return "-Oz";
  return "";
}

}  // namespace

const ActionSpace& ActionSpace::extended() {
  static const ActionSpace space = [] {
    ActionSpace s = size_actions();
    for (const auto& a : kExtraActions) s.actions_.push_back(&a);
    return s;
  }();
  return space;
}

Expected<const ActionSpace*> ActionSpace::by_name(std::string_view name) {
  if (name == "cgym") return &size_actions();
  if (name == "extended") return &extended();
  return make_error(ErrorKind::invalid_input, fmt::format("unknown action space '{}' (cgym or extended)", name));
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
    seq.elements.push_back({std::string(a.pipeline), display_flag(a)});
  }
  return seq;
}

std::optional<Genome> ActionSpace::from_sequence(const ir::PassSequence& seq) const {
  Genome g;
  for (const auto& e : seq.elements) {
    auto it = std::find_if(actions_.begin(), actions_.end(), [&](const ir::Action* a) { return a->pipeline == e.pipeline; });
    if (it == actions_.end()) return std::nullopt;
    g.push_back(static_cast<int>(it - actions_.begin()));
  }
  return g;
}

}  // namespace cr1::search
