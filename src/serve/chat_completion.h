// What the model wrote, as an OpenAI chat completion: the text split into `content` and `tool_calls`
// the way Qwen2.5 writes calls (Hermes style, as vLLM's `hermes` tool parser reads them), the finish
// reason, and how much of a growing text a stream may already send.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/protocol.h"

namespace cr1::serve {

struct CompletionMessage {
  std::optional<std::string> content;  // null when the turn is only tool calls
  std::vector<agent::ToolCall> tool_calls;
};

// A turn is a tool-call turn when it is  <text> (<tool_call>{"name": string, "arguments": object}
// </tool_call> whitespace)+  and every call parses; `content` is then <text> without its trailing
// whitespace (null if empty). Any other text, a malformed call included, stays whole in `content`, so
// that nothing the model wrote is lost and the client's own parser can report it.
CompletionMessage split_tool_calls(std::string_view text);

// OpenAI's "tool_calls" list: ids "<id_prefix>_<i>", arguments as JSON text.
nlohmann::json tool_calls_json(const std::vector<agent::ToolCall>& calls, const std::string& id_prefix);

// "length" when the token limit cut the turn, else "tool_calls" when it has calls, else "stop".
std::string finish_reason(bool hit_length, const CompletionMessage& m);

// How many leading bytes of `text` (a completion still growing) a stream can send now and never take
// back: it stops before a stop string or "<tool_call>", before a tail that could still become one of
// them, and before trailing whitespace (which a tool-call turn drops from its content).
size_t streamable_prefix(std::string_view text, const std::vector<std::string>& stop_strings);

// The content deltas of a streamed completion: next() is given the whole text so far and returns what
// can be sent now (streamable_prefix); finish() is given the final text the client sees and returns
// the content still unsent and the message (its tool calls go out whole, in one delta). Everything
// sent is a prefix of the final message's content.
class CompletionStream {
 public:
  explicit CompletionStream(std::vector<std::string> stop_strings) : stops_(std::move(stop_strings)) {}
  std::string next(std::string_view text_so_far);
  struct End {
    std::string content;  // not sent yet
    CompletionMessage message;
  };
  End finish(std::string_view final_text);

 private:
  std::vector<std::string> stops_;
  size_t sent_ = 0;
};

// `text` cut before the first occurrence of `stop` (the whole text when absent).
std::string_view cut_at(std::string_view text, std::string_view stop);

}  // namespace cr1::serve
