// An OpenAI chat-completions request (POST /v1/chat/completions), read and checked, with its messages
// turned into our ChatML form (agent/chat.h) the way Qwen2.5's chat template renders them: assistant
// `tool_calls` become inline <tool_call>{"name": …, "arguments": …}</tool_call> blocks after the
// content, `tool` messages become <tool_response> user turns (tool_call_id is not rendered, as in
// Qwen2.5's template), and "developer" is a system message. Everything a request can get wrong is a
// RequestError in OpenAI's error shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/chat.h"

namespace cr1::serve {

struct ChatRequest {
  std::string model;                         // empty when left out
  std::vector<agent::ChatMessage> messages;  // ChatML form, ready for render_chatml
  nlohmann::json tools = nlohmann::json::array();  // the OpenAI function schemas, rendered in the system turn
  std::optional<double> temperature;         // 0 = greedy
  std::optional<double> top_p;
  std::optional<int64_t> top_k;              // 0 or -1 = off
  std::optional<double> repetition_penalty;
  std::optional<int64_t> max_tokens;         // max_completion_tokens, else max_tokens
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
  bool stream = false;
  bool include_usage = false;                // stream_options.include_usage
};

struct RequestError {
  int status = 400;
  std::string message;  // one line, names the field
  std::string param;    // the offending field, e.g. "messages[2].role"; empty when none
  std::string code;     // e.g. "model_not_found", "context_length_exceeded"; empty when none
  std::string type = "invalid_request_error";
};

// {"error": {"message", "type", "param", "code"}} (null param/code when empty).
nlohmann::json error_body(const RequestError& e);

// Parses `body`; nullopt when it is a valid request (then `out` is set).
std::optional<RequestError> parse_chat_request(std::string_view body, ChatRequest& out);

}  // namespace cr1::serve
