#include "model/tokenizer_chat_template.h"

namespace cr1::model {

std::string_view qwen25_chatml_template() {
  // Every tag trims the white space around it ({%- -%}), so only the quoted strings reach the output.
  static constexpr std::string_view kTemplate =
      R"({%- set default_system = 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' -%})"
      R"({%- set has_system = messages | length > 0 and messages[0].role == 'system' -%})"
      R"({%- set system_text = messages[0].content if has_system else default_system -%})"
      R"({%- if tools -%})"
      R"({{- '<|im_start|>system\n' + system_text + '\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' -}})"
      R"({%- for tool in tools -%}{{- '\n' + (tool | tojson) -}}{%- endfor -%})"
      R"({{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' -}})"
      R"({%- else -%})"
      R"({{- '<|im_start|>system\n' + system_text + '<|im_end|>\n' -}})"
      R"({%- endif -%})"
      R"({%- for message in messages -%})"
      R"({%- if loop.first and has_system -%})"
      R"({%- elif message.role == 'tool' -%})"
      R"({%- if loop.first or messages[loop.index0 - 1].role != 'tool' -%}{{- '<|im_start|>user' -}}{%- endif -%})"
      R"({{- '\n<tool_response>\n' + message.content + '\n</tool_response>' -}})"
      R"({%- if loop.last or messages[loop.index0 + 1].role != 'tool' -%}{{- '<|im_end|>\n' -}}{%- endif -%})"
      R"({%- elif message.role == 'assistant' and message.tool_calls -%})"
      R"({{- '<|im_start|>assistant' -}})"
      R"({%- if message.content -%}{{- '\n' + message.content -}}{%- endif -%})"
      R"({%- for call in message.tool_calls -%})"
      R"({%- set fn = call.function if call.function is defined else call -%})"
      R"({{- '\n<tool_call>\n{"name": "' + fn.name + '", "arguments": ' + (fn.arguments | tojson) + '}\n</tool_call>' -}})"
      R"({%- endfor -%})"
      R"({{- '<|im_end|>\n' -}})"
      R"({%- else -%})"
      R"({{- '<|im_start|>' + message.role + '\n' + (message.content or '') + '<|im_end|>\n' -}})"
      R"({%- endif -%})"
      R"({%- endfor -%})"
      R"({%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%})";
  return kTemplate;
}

}  // namespace cr1::model
