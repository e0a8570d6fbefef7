// The outcome of evaluating one pass sequence on one program. A failure is a
// result, not an exception (cf. OpenTuner's Result.state): search sees it as a
// typed outcome and never as a silent count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace cr1::env {

enum class EvalStatus {
  ok,
  crashed,       // LLVM aborted, hit a fatal error, or was killed by a signal
  timeout,       // ran past the pool's deadline; the worker was killed
  invalid_pass,  // the pipeline text does not parse
  invalid_ir,    // the pipeline produced IR that fails the verifier
  unsupported,   // this build cannot process the module at all (e.g. its target is not linked)
};

const char* eval_status_name(EvalStatus status);  // "ok", "crashed", "timeout", "invalid-pass", "invalid-ir", "unsupported"
std::optional<EvalStatus> parse_eval_status(std::string_view name);

struct EvalResult {
  EvalStatus status = EvalStatus::crashed;
  uint64_t instruction_count = 0;  // valid when ok()
  double pass_seconds = 0;         // time inside the pass pipeline (worker side)
  double wall_seconds = 0;         // request to answer, as the caller saw it
  std::string message;             // why it failed, with evidence
  bool from_cache = false;

  bool ok() const { return status == EvalStatus::ok; }
  // Timeouts depend on the machine and the load; everything else is a
  // property of (module, pipeline) and may be cached.
  // Timeouts depend on load; `unsupported` depends on the build, which the cache key does not name.
  bool cacheable() const { return status != EvalStatus::timeout && status != EvalStatus::unsupported; }
};

// OverOz of `count` against the -Oz count `oz` as a fraction, (oz - count) / oz; 0 when oz is 0.
double over_oz_fraction(uint64_t oz, uint64_t count);

void to_json(nlohmann::json& j, const EvalResult& r);
void from_json(const nlohmann::json& j, EvalResult& r);

}  // namespace cr1::env
