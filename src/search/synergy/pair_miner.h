// Synergy mining on one program (Compiler-R1 §3.2):
//   - B is effective when IC(P after B) < IC(P);
//   - (A, B), A = B allowed, is synergistic for an effective B when
//     IC(P after A, B) < IC(P after B).
// Two batches through the session's worker pool (parallel, cached,
// crash-contained): the |space| single passes, then |effective| x |space|
// pairs. A failed evaluation (crash, timeout, invalid IR) shows nothing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "env/session.h"
#include "search/action_space.h"

namespace cr1::search::synergy {

struct ProgramSynergy {
  uint64_t base_count = 0;
  std::vector<std::string> effective;                       // flags B, in space order
  std::vector<std::pair<std::string, std::string>> pairs;   // (A, B): A then B
  size_t evaluations = 0;  // sequences asked of the session (cache hits included)
  size_t failures = 0;     // of those, the ones that failed
  double seconds = 0;
};

ProgramSynergy mine_program(env::Session& session, const ActionSpace& space = ActionSpace::size_actions());

}  // namespace cr1::search::synergy
