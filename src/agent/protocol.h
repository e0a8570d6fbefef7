// The agent's turn protocol (Compiler-R1 §3, Qwen2.5 tool-calling style). One assistant turn is
//   <think>…</think>  then exactly one of
//   <tool_call>{"name": …, "arguments": {…}}</tool_call>   or   <answer>["--pass", …]</answer>
// parse_turn() reads whatever a model wrote and never throws: every way a turn can break the protocol
// is a typed ProtocolError, which the episode runner returns to the model as an error tool response
// (so it can recover) or uses to end the episode, as configured.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/action_catalog.h"

namespace cr1::agent {

enum class ProtocolErrorKind {
  empty_turn,            // nothing but whitespace
  missing_think,         // no <think> block first (when required)
  unclosed_tag,          // <think>, <tool_call> or <answer> without its closing tag
  missing_action,        // neither <tool_call> nor <answer>
  several_actions,       // more than one <tool_call>, more than one <answer>, or both
  stray_text,            // text outside the tags (before the action or after </tool_call>)
  text_after_answer,     // anything after </answer>
  malformed_json,        // the tool call is not a JSON object with a string "name" and object "arguments"
  unknown_tool,          // a name that is not one of the tools
  bad_arguments,         // a required argument is missing or has the wrong JSON type
  tool_limit,            // this tool was called as often as allowed (set by the runner)
  malformed_answer,      // the answer is not a list of strings
  empty_answer,          // an empty list
  unknown_pass,          // an answer item that is not a pass (names the item)
  turn_too_long,         // the turn has more tokens than allowed (set by the runner)
};

const char* protocol_error_name(ProtocolErrorKind kind);  // "malformed_json", …

struct ProtocolError {
  ProtocolErrorKind kind;
  std::string message;  // one line, for the model: what is wrong and how to write it instead
};

struct ToolCall {
  std::string name;
  nlohmann::json arguments = nlohmann::json::object();
};

struct ParsedTurn {
  std::optional<std::string> think;           // contents of <think>, when present
  std::optional<ToolCall> tool_call;          // set when the action is a well-formed call
  std::optional<std::vector<std::string>> answer;  // the answer items as written, when well-formed
  std::optional<ir::PassSequence> answer_sequence; // the parsed answer (valid passes only)
  std::optional<ProtocolError> error;          // the first violation; the turn is well-formed iff unset
  bool well_formed() const { return !error.has_value(); }
  bool is_answer() const { return answer_sequence.has_value(); }
};

struct ProtocolOptions {
  bool require_think = true;
  // The tools the model may call, as Toolbox::schemas() gives them; calls are checked for a known
  // name and the schema's required arguments and their JSON types.
  nlohmann::json tool_schemas = nlohmann::json::array();
};

// Strips one trailing "<|im_end|>" (and what follows it) that a raw generator may leave.
std::string_view strip_end_of_turn(std::string_view text);

ParsedTurn parse_turn(std::string_view text, const ProtocolOptions& options);

// The tool response that tells the model its turn broke the protocol:
// {"status": "error", "error": "protocol error (<kind>): <message>"}.
nlohmann::json protocol_error_response(const ProtocolError& error);

}  // namespace cr1::agent
