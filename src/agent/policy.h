// A policy writes the assistant's next turn. Every policy sits behind this one interface: the
// scripted decision tree and nearest neighbours (decision_tree_policy.h), an OpenAI-compatible HTTP
// endpoint (openai_policy.h), and the built-in model (model_policy.h).
//
// act() is called concurrently, one call per running episode (the batch runner keeps many episodes in
// flight), so the model adapter batches the calls that arrive together into one generation step, the
// way a serving queue does.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/chat.h"
#include "agent/prompt.h"
#include "agent/protocol.h"
#include "agent/token_counter.h"
#include "util/expected.h"

namespace cr1::agent {

// One assistant turn as the runner saw it, and what the tool said.
struct EpisodeStep {
  std::string text;               // the raw turn
  ParsedTurn parsed;
  nlohmann::json tool_result;     // the tool's JSON (or the protocol error response); null after an answer
};

struct EpisodeState {
  const ProgramInfo& program;
  const std::vector<ChatMessage>& messages;  // system, user, then assistant/tool turns so far
  const nlohmann::json& tools;               // the tool schemas in the prompt
  const std::vector<EpisodeStep>& steps;     // the turns so far, parsed
  size_t max_tokens = 0;                     // for this turn; 0 = no limit
};

struct PolicyReply {
  std::string text;                   // the raw assistant turn
  std::optional<size_t> tokens;       // exact count when the generator knows it
  std::string finish_reason;          // "stop", "length", … when the generator says
  nlohmann::json note;                // what the policy wants recorded about this turn (e.g. a candidate's source)
};

class Policy {
 public:
  virtual ~Policy() = default;
  // A name that says the configuration, e.g. "decision-tree;threshold=0,k=1".
  virtual std::string name() const = 0;
  // Thread-safe. An error (e.g. the endpoint is down) ends the episode with end reason policy_error.
  virtual Expected<PolicyReply> act(const EpisodeState& state) = 0;
  // The counter of the policy's own tokenizer, when it has one (the built-in model): the episode's
  // prompt and tool tokens are then counted exactly. Empty = none.
  virtual TokenCounter exact_token_counter() const { return {}; }
};

}  // namespace cr1::agent
