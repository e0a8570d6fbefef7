#include "env/eval_result.h"

#include <nlohmann/json.hpp>

namespace cr1::env {

const char* eval_status_name(EvalStatus status) {
  switch (status) {
    case EvalStatus::ok: return "ok";
    case EvalStatus::crashed: return "crashed";
    case EvalStatus::timeout: return "timeout";
    case EvalStatus::invalid_pass: return "invalid-pass";
    case EvalStatus::invalid_ir: return "invalid-ir";
    case EvalStatus::unsupported: return "unsupported";
  }
  return "crashed";
}

std::optional<EvalStatus> parse_eval_status(std::string_view name) {
  for (auto s : {EvalStatus::ok, EvalStatus::crashed, EvalStatus::timeout, EvalStatus::invalid_pass, EvalStatus::invalid_ir,
                 EvalStatus::unsupported})
    if (name == eval_status_name(s)) return s;
  return std::nullopt;
}

void to_json(nlohmann::json& j, const EvalResult& r) {
  j = nlohmann::json{{"status", eval_status_name(r.status)},
                     {"instruction_count", r.instruction_count},
                     {"pass_seconds", r.pass_seconds},
                     {"wall_seconds", r.wall_seconds},
                     {"from_cache", r.from_cache}};
  if (!r.message.empty()) j["message"] = r.message;
}

void from_json(const nlohmann::json& j, EvalResult& r) {
  r.status = parse_eval_status(j.at("status").get<std::string>()).value_or(EvalStatus::crashed);
  r.instruction_count = j.value("instruction_count", uint64_t{0});
  r.pass_seconds = j.value("pass_seconds", 0.0);
  r.wall_seconds = j.value("wall_seconds", 0.0);
  r.message = j.value("message", std::string());
  r.from_cache = j.value("from_cache", false);
}

double over_oz_fraction(uint64_t oz, uint64_t count) {
  if (oz == 0) return 0;
  return (static_cast<double>(oz) - static_cast<double>(count)) / static_cast<double>(oz);
}

}  // namespace cr1::env
