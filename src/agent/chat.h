// Chat messages in Hugging Face `messages` form and their ChatML rendering as Qwen2.5's chat template
// renders a conversation with tools (tokenizer_config.json of Qwen2.5-*-Instruct): the tool schemas
// go into the system message inside <tools></tools>, one JSON object per line; tool results become
// user turns wrapped in <tool_response></tool_response> (consecutive tool messages share one turn).
//
// Assistant messages keep the model's raw text (`<think>…</think>` + `<tool_call>…</tool_call>` or
// `<answer>…</answer>`), so that rendering a recorded conversation gives back exactly the tokens the
// model produced; the parsed calls live beside the messages in the episode record, never in them
// (a `tool_calls` field would make the template render each call twice).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cr1::agent {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" or "tool"
  std::string content;
};

nlohmann::json messages_to_json(const std::vector<ChatMessage>& messages);  // [{"role":…,"content":…}, …]
// Reads HF `messages`; false (with `error` set) when an entry lacks a string role or content.
bool messages_from_json(const nlohmann::json& j, std::vector<ChatMessage>& out, std::string* error = nullptr);

// JSON text as Python's json.dumps(value, ensure_ascii=False) writes it (", " and ": " separators,
// keys in the object's order), which is what the template's `tojson` filter produces.
std::string python_json(const nlohmann::json& value);
std::string python_json(const nlohmann::ordered_json& value);

// The whole conversation as ChatML; `tools` is the schema list (Toolbox::schemas() form), empty = none.
// With `add_generation_prompt` the text ends with "<|im_start|>assistant\n".
std::string render_chatml(const std::vector<ChatMessage>& messages, const nlohmann::json& tools,
                          bool add_generation_prompt);

// Qwen2.5's inline form of one call: "<tool_call>\n{\"name\": …, \"arguments\": …}\n</tool_call>".
std::string render_tool_call(std::string_view name, const nlohmann::json& arguments);

inline constexpr std::string_view kImStart = "<|im_start|>";
inline constexpr std::string_view kImEnd = "<|im_end|>";

}  // namespace cr1::agent
