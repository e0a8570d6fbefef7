#include "agent/episode_record.h"

#include <fmt/format.h>

#include "ir/action_catalog.h"

namespace cr1::agent {
namespace {

// A sequence's pipeline text, so that "--sroa" and "sroa" compare equal; the raw items when they
// do not parse.
std::string canonical(const nlohmann::json& items) {
  std::vector<std::string> v;
  if (items.is_string()) {
    v.push_back(items.get<std::string>());
  } else if (items.is_array()) {
    for (const auto& e : items)
      if (e.is_string()) v.push_back(e.get<std::string>());
  }
  if (v.empty()) return {};
  auto seq = ir::parse_sequence(std::span<const std::string>(v));
  if (seq) return seq->pipeline();
  return fmt::format("{}", fmt::join(v, " "));
}

}  // namespace

std::string classify_path(const std::vector<ToolCallRecord>& calls, const std::vector<std::string>& answer, bool answered) {
  if (!answered) return "none";
  std::string a = canonical(nlohmann::json(answer));
  if (a == "default<Oz>") return "oz";
  size_t candidate = 0;
  std::string path = "other";
  for (const auto& c : calls) {
    if (c.name == "instrcount") {
      ++candidate;
      if (c.arguments.is_object() && c.arguments.contains("optimization_flags") &&
          canonical(c.arguments["optimization_flags"]) == a && path == "other")
        path = candidate == 1 ? "A" : fmt::format("A{}", candidate);
    } else if (c.name == "find_best_pass_sequence") {
      if (c.result.is_object() && c.result.contains("best_pass_sequence") &&
          canonical(c.result["best_pass_sequence"]) == a)
        path = "B";
    }
  }
  return path;
}

void to_json(nlohmann::json& j, const EpisodeRecord& r) {
  nlohmann::json turns = nlohmann::json::array();
  for (const auto& t : r.turns) {
    nlohmann::json tj = {{"tokens", t.tokens}, {"well_formed", t.well_formed}, {"action", t.action}};
    if (!t.well_formed) tj["error"] = {{"kind", t.error_kind}, {"message", t.error}};
    if (!t.note.is_null()) tj["note"] = t.note;
    turns.push_back(std::move(tj));
  }
  nlohmann::json calls = nlohmann::json::array();
  for (const auto& c : r.tool_calls)
    calls.push_back({{"turn", c.turn}, {"name", c.name}, {"arguments", c.arguments}, {"result", c.result}, {"seconds", c.seconds}});
  j = {{"program", r.program},
       {"filename", r.filename},
       {"policy", r.policy},
       {"messages", messages_to_json(r.messages)},
       {"tools", r.tools},
       {"turns", turns},
       {"tool_calls", calls},
       {"end_reason", r.end_reason},
       {"answer", r.answer},
       {"answer_pipeline", r.answer_pipeline},
       {"answered", r.answered},
       {"fell_back_to_oz", r.fell_back_to_oz},
       {"path", r.path},
       {"base_count", r.base_count},
       {"oz_count", r.oz_count},
       {"answer_count", r.answer_count},
       {"verified_status", r.verified_status},
       {"over_oz", r.over_oz},
       {"format", r.format},
       {"reward", r.reward},
       {"tokens", {{"prompt", r.prompt_tokens}, {"response", r.response_tokens}, {"tool", r.tool_tokens}, {"exact", r.exact_token_counts}}},
       {"seconds", {{"total", r.seconds}, {"policy", r.policy_seconds}, {"tools", r.tool_seconds}, {"verify", r.verify_seconds}}}};
  if (!r.policy_error.empty()) j["policy_error"] = r.policy_error;
}

std::string record_line(const EpisodeRecord& r) {
  nlohmann::json j = r;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cr1::agent
