// The chat template written into tokenizer_config.json of the tokenizers we train: a Jinja template
// (as HF transformers' apply_chat_template runs it) that renders conversations in Qwen2.5's ChatML
// form, with tools listed in the system turn inside <tools></tools>, tool results as user turns in
// <tool_response></tool_response> (consecutive ones share a turn), assistant `tool_calls` inline as
// <tool_call>{"name": …, "arguments": …}</tool_call>, and Qwen2.5's default system message when the
// conversation has none. The agent renders the same text in C++ (agent/chat.h); the format is
// Qwen2.5's (its tokenizer_config.json), the template is our own.
#pragma once

#include <string_view>

namespace cr1::model {

std::string_view qwen25_chatml_template();

}  // namespace cr1::model
