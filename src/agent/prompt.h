// The first two messages of an episode (Compiler-R1 §3): a system message with the task and the
// protocol, and a user message with the program's 56 AutoPhase features as an indented JSON object
// (raw counts, names in CompilerGym's order) followed by "Initial instruction count: N".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/chat.h"
#include "ir/features.h"

namespace cr1::agent {

// What an episode knows about its program before the first turn.
struct ProgramInfo {
  std::string uri;       // for records, e.g. csmith://42 (the file name when there is none)
  std::string filename;  // the tools' `filename` argument: relative to the Toolbox's program_root
  ir::AutophaseFeatures features{};
  uint64_t instruction_count = 0;  // as loaded (unoptimized)
};

struct PromptOptions {
  std::string system_prompt;  // empty = default_system_prompt()
};

std::string default_system_prompt();
std::string user_prompt(const ProgramInfo& program);
std::vector<ChatMessage> initial_messages(const ProgramInfo& program, const PromptOptions& options = {});

// The features as the prompt shows them: {"BBNumArgsHi": 0, …} in feature order.
nlohmann::ordered_json features_json(const ir::AutophaseFeatures& features);
// Feature value by AutoPhase name (0 when unknown).
int64_t feature(const ir::AutophaseFeatures& features, std::string_view name);

}  // namespace cr1::agent
