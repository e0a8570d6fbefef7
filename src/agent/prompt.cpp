#include "agent/prompt.h"

#include <fmt/format.h>

namespace cr1::agent {

std::string default_system_prompt() {
  return "You are an expert in LLVM compiler optimization. Your task is to find a sequence of LLVM optimization "
         "passes that makes the given program's LLVM IR as small as possible, ideally smaller than `opt -Oz` "
         "(fewer IR instructions).\n\n"
         "Work in turns. Every turn starts with <think>your reasoning</think> and then does exactly one of:\n"
         "- call one tool: <tool_call>{\"name\": \"<tool>\", \"arguments\": {…}}</tool_call>\n"
         "- give the final answer and stop: <answer>[\"--pass1\", \"--pass2\", …]</answer>\n"
         "Tool results come back in <tool_response></tool_response>. improvement_over_oz is in percent: positive "
         "means fewer instructions than -Oz. Pass flags are LLVM legacy flags such as \"--sroa\" or "
         "\"--instcombine\". Answer [\"-Oz\"] when nothing beats -Oz.";
}

nlohmann::ordered_json features_json(const ir::AutophaseFeatures& features) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto names = ir::autophase_feature_names();
  for (size_t i = 0; i < names.size() && i < features.size(); ++i) j[std::string(names[i])] = features[i];
  return j;
}

int64_t feature(const ir::AutophaseFeatures& features, std::string_view name) {
  auto names = ir::autophase_feature_names();
  for (size_t i = 0; i < names.size() && i < features.size(); ++i)
    if (names[i] == name) return features[i];
  return 0;
}

std::string user_prompt(const ProgramInfo& p) {
  return fmt::format(
      "Optimize the program \"{}\" for code size. Pass this filename to the tools.\n"
      "Its AutoPhase features:\n{}\nInitial instruction count: {}",
      p.filename, features_json(p.features).dump(2), p.instruction_count);
}

std::vector<ChatMessage> initial_messages(const ProgramInfo& p, const PromptOptions& o) {
  return {{"system", o.system_prompt.empty() ? default_system_prompt() : o.system_prompt}, {"user", user_prompt(p)}};
}

}  // namespace cr1::agent
