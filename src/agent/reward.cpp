#include "agent/reward.h"

#include <nlohmann/json.hpp>

namespace cr1::agent {

FormatScore format_score(std::span<const TurnShape> turns, const RewardOptions& o) {
  FormatScore f;
  f.turns = turns.size();
  if (turns.empty()) return f;
  for (const auto& t : turns) f.well_formed += t.well_formed ? 1 : 0;
  f.ended_with_answer = turns.back().well_formed && turns.back().valid_answer;
  f.exact = f.ended_with_answer && f.well_formed == f.turns;
  if (f.exact) {
    f.score = o.full_format();
    return f;
  }
  f.score = o.turn_weight * static_cast<double>(f.well_formed) / static_cast<double>(f.turns) +
            (f.ended_with_answer ? o.answer_weight : 0.0);
  return f;
}

Reward compute_reward(const FormatScore& format, double over_oz, size_t tool_calls, const RewardOptions& o) {
  Reward r;
  r.format = format.score;
  r.answer = o.alpha * over_oz;
  r.tool_cost = o.tool_call_cost * static_cast<double>(tool_calls);
  r.total = r.format + r.answer - r.tool_cost;
  return r;
}

void to_json(nlohmann::json& j, const FormatScore& f) {
  j = {{"turns", f.turns}, {"well_formed", f.well_formed}, {"ended_with_answer", f.ended_with_answer},
       {"exact", f.exact}, {"score", f.score}};
}

void to_json(nlohmann::json& j, const Reward& r) {
  j = {{"format", r.format}, {"answer", r.answer}, {"tool_cost", r.tool_cost}, {"total", r.total}};
}

}  // namespace cr1::agent
