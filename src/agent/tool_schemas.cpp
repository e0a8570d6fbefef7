// The tools' JSON schemas in the OpenAI / Qwen function-calling form. The
// descriptions are what the model reads: they state the unit (percent) and
// the error form.
#include <nlohmann/json.hpp>

#include "agent/toolbox.h"

namespace cr1::agent {

nlohmann::json Toolbox::schemas() {
  using nlohmann::json;
  json instrcount = {
      {"type", "function"},
      {"function",
       {{"name", "instrcount"},
        {"description",
         "Applies LLVM optimization passes to a program and returns its IR instruction count, the count under -Oz, "
         "and improvement_over_oz in percent ((IC(-Oz) - IC) / IC(-Oz) * 100; positive means smaller than -Oz). "
         "On failure (unknown pass, missing file, crash, timeout) returns {\"status\":\"error\",\"error\":...}."},
        {"parameters",
         {{"type", "object"},
          {"properties",
           {{"filename", {{"type", "string"}, {"description", "Program file (.c, .ll or .bc) inside the program root"}}},
            {"optimization_flags",
             {{"type", "array"},
              {"items", {{"type", "string"}}},
              {"description", "Passes in order, as legacy flags (\"--sroa\", \"--gvn\") or new-PM names; \"-Oz\" "
                              "is the -Oz pipeline"}}}}},
          {"required", {"filename", "optimization_flags"}},
          {"additionalProperties", false}}}}}};
  json fbps = {
      {"type", "function"},
      {"function",
       {{"name", "find_best_pass_sequence"},
        {"description",
         "Searches for a pass sequence that minimizes the program's IR instruction count (a genetic algorithm over "
         "walks on a graph of synergistic pass pairs). Returns best_pass_sequence and its improvement_over_oz in "
         "percent (may be zero or negative when nothing beats -Oz)."},
        {"parameters",
         {{"type", "object"},
          {"properties",
           {{"filename", {{"type", "string"}, {"description", "Program file (.c, .ll or .bc) inside the program root"}}}}},
          {"required", {"filename"}},
          {"additionalProperties", false}}}}}};
  return json::array({instrcount, fbps});
}

}  // namespace cr1::agent
