// One episode for (program, policy): render the prompt, then loop policy -> parse -> tool -> … until
// an answer or a limit; verify the answer from scratch in a fresh worker (env::Session::verify) and
// score it (reward.h). Protocol errors go back to the model as error tool responses, or end the
// episode, as configured. The record is one JSONL line (episode_record.h).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/episode_record.h"
#include "agent/policy.h"
#include "agent/prompt.h"
#include "agent/protocol.h"
#include "agent/reward.h"
#include "agent/token_counter.h"
#include "env/session.h"

namespace cr1::agent {

// What the runner needs of the tools. tools_of(Toolbox&) (agent_tools.h) adapts the real Toolbox.
struct ToolSet {
  // Never throws; returns {"status": "success", …} or {"status": "error", "error": …}. Thread-safe.
  std::function<nlohmann::json(std::string_view name, const nlohmann::json& arguments)> call;
  nlohmann::json schemas = nlohmann::json::array();  // Qwen/OpenAI function schemas
};

enum class OnProtocolError {
  respond,  // return the error to the model as a tool response; the episode goes on
  end,      // end the episode (end reason "protocol_error")
};

struct EpisodeLimits {
  size_t max_turns = 10;                // assistant turns (the paper's limit)
  size_t max_tokens_per_turn = 2048;    // 0 = no limit
  size_t max_tokens_per_episode = 16384;  // response tokens (assistant + tool turns); 0 = no limit
  std::map<std::string, size_t> max_calls;  // per tool name; absent = no limit
};

struct EpisodeOptions {
  EpisodeLimits limits;
  OnProtocolError on_protocol_error = OnProtocolError::respond;
  bool require_think = true;
  RewardOptions reward;
  PromptOptions prompt;
  TokenCounter count_tokens = approximate_token_counter();
  bool exact_token_counts = false;  // count_tokens is a tokenizer (recorded as tokens.exact)
};

// Counts with the policy's own tokenizer (the built-in model), else the tokenizer.json at
// `tokenizer_json` when given, else leaves the estimate.
Status use_exact_token_counts(EpisodeOptions& options, const Policy& policy,
                              const std::filesystem::path& tokenizer_json = {});

// `verifier` is a session on the same program (its -Oz count and a fresh worker for the answer).
// Never throws on anything a policy or a tool returns.
EpisodeRecord run_episode(const ProgramInfo& program, Policy& policy, const ToolSet& tools, env::Session& verifier,
                          const EpisodeOptions& options = {});

}  // namespace cr1::agent
