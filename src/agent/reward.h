// The episode reward, as in Compiler-R1 (paper §3.3): format score + α·OverOz.
//   format: full marks (1.5 by default) for a trajectory that follows the protocol exactly; partial
//           credit otherwise. Computed on the response only (the assistant turns), not on
//           prompt+response as the reference code did, which made full marks unreachable.
//   answer: α·OverOz with OverOz a fraction (α = 30), from the verified count; negative values are
//           kept (not clipped); an answer of -Oz, an invalid answer and no answer score 0.
//   cost:   an optional price per tool call (0 by default), to reward reaching an answer cheaply.
#pragma once

#include <cstddef>
#include <span>

#include <nlohmann/json_fwd.hpp>

namespace cr1::agent {

struct RewardOptions {
  // format = turn_weight · (well-formed turns / turns) + answer_weight · [ended with a valid answer],
  // so the defaults give 1.5 for an exact trajectory.
  double turn_weight = 1.0;
  double answer_weight = 0.5;
  double alpha = 30.0;
  double tool_call_cost = 0.0;
  double full_format() const { return turn_weight + answer_weight; }
};

// What the format score looks at, per assistant turn.
struct TurnShape {
  bool well_formed = false;
  bool valid_answer = false;  // a well-formed <answer> whose passes all parse
};

struct FormatScore {
  size_t turns = 0;
  size_t well_formed = 0;
  bool ended_with_answer = false;  // the last turn is a valid answer
  bool exact = false;              // every turn well-formed and ended with a valid answer
  double score = 0;
};

// Branches: no turns -> 0; exact -> full_format(); otherwise partial credit by the formula above,
// where an answer counts only as the last turn (the runner stops there).
FormatScore format_score(std::span<const TurnShape> turns, const RewardOptions& options = {});

struct Reward {
  double format = 0;
  double answer = 0;     // alpha · over_oz
  double tool_cost = 0;  // tool_call_cost · calls (subtracted)
  double total = 0;
};

// `over_oz` is the verified fraction of the answer (pass 0 for -Oz, an invalid answer or none).
Reward compute_reward(const FormatScore& format, double over_oz, size_t tool_calls, const RewardOptions& options = {});

void to_json(nlohmann::json& j, const FormatScore& f);
void to_json(nlohmann::json& j, const Reward& r);

}  // namespace cr1::agent
