// The actions a search draws from: the catalogue minus the flags that cannot
// shrink code (instrumentation, coroutine lowering, renaming, stripping), as
// in shared/reference/pass-map-llvm19.md. A sequence is a list of indices into
// this space.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ir/action_catalog.h"
#include "util/expected.h"

namespace cr1::search {

using Genome = std::vector<int>;  // indices into ActionSpace::actions()

class ActionSpace {
 public:
  // The size-relevant catalogue actions (100 of 117 for LLVM 19): the
  // paper's action space, for comparable numbers.
  static const ActionSpace& size_actions();
  // size_actions() plus -Oz as a macro action and size-relevant LLVM 19
  // passes that are not in the LLVM 10 list (pass-map-llvm19.md). With -Oz
  // available a search starts from the baseline instead of rediscovering it.
  static const ActionSpace& extended();
  // By name: "cgym" (size_actions) or "extended".
  static Expected<const ActionSpace*> by_name(std::string_view name);

  size_t size() const { return actions_.size(); }
  const ir::Action& action(int i) const { return *actions_.at(static_cast<size_t>(i)); }
  // -1 when the flag is not in this space.
  int index_of(std::string_view flag) const;

  ir::PassSequence to_sequence(const Genome& genome) const;
  // Every element must be a catalogue action of this space.
  std::optional<Genome> from_sequence(const ir::PassSequence& seq) const;

 private:
  std::vector<const ir::Action*> actions_;
};

// Flags left out of the search space, and why (for documentation and tests).
bool is_non_size_flag(std::string_view flag);

}  // namespace cr1::search
