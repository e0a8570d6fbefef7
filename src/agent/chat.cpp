#include "agent/chat.h"

#include <fmt/format.h>

#include "util/python_json.h"

namespace cr1::agent {
namespace {

void open_turn(std::string& out, std::string_view role) {
  out += kImStart;
  out += role;
}

}  // namespace

nlohmann::json messages_to_json(const std::vector<ChatMessage>& messages) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& m : messages) j.push_back({{"role", m.role}, {"content", m.content}});
  return j;
}

bool messages_from_json(const nlohmann::json& j, std::vector<ChatMessage>& out, std::string* error) {
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  if (!j.is_array()) return fail("messages is not a list");
  out.clear();
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& m = j[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return fail(fmt::format("message {} has no string 'role'", i));
    ChatMessage msg{m["role"].get<std::string>(), ""};
    if (m.contains("content") && m["content"].is_string()) msg.content = m["content"].get<std::string>();
    else if (m.contains("content") && !m["content"].is_null()) return fail(fmt::format("message {} has a non-string 'content'", i));
    out.push_back(std::move(msg));
  }
  return true;
}

std::string python_json(const nlohmann::json& value) {
  std::string out;
  append_python_json(value, out);
  return out;
}

std::string python_json(const nlohmann::ordered_json& value) {
  std::string out;
  append_python_json(value, out);
  return out;
}

std::string render_tool_call(std::string_view name, const nlohmann::json& arguments) {
  // The template writes the name verbatim and the arguments through `tojson`.
  return fmt::format("<tool_call>\n{{\"name\": \"{}\", \"arguments\": {}}}\n</tool_call>", name, python_json(arguments));
}

std::string render_chatml(const std::vector<ChatMessage>& messages, const nlohmann::json& tools, bool add_generation_prompt) {
  std::string out;
  size_t first = 0;
  bool has_tools = tools.is_array() && !tools.empty();
  if (has_tools) {
    open_turn(out, "system");
    out += '\n';
    if (!messages.empty() && messages[0].role == "system") {
      out += messages[0].content;
      first = 1;
    } else {
      out += "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    }
    out += "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
           "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    for (const auto& t : tools) {
      out += '\n';
      out += python_json(t);
    }
    out += "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
           "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
           "<args-json-object>}\n</tool_call>";
    out += kImEnd;
    out += '\n';
  } else if (messages.empty() || messages[0].role != "system") {
    // Without tools the template still opens with its default system message.
    out += "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";
  }
  for (size_t i = first; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.role == "tool") {
      if (i == first || messages[i - 1].role != "tool") open_turn(out, "user");
      out += "\n<tool_response>\n";
      out += m.content;
      out += "\n</tool_response>";
      if (i + 1 == messages.size() || messages[i + 1].role != "tool") {
        out += kImEnd;
        out += '\n';
      }
      continue;
    }
    open_turn(out, m.role);
    out += '\n';
    out += m.content;
    out += kImEnd;
    out += '\n';
  }
  if (add_generation_prompt) {
    open_turn(out, "assistant");
    out += '\n';
  }
  return out;
}

}  // namespace cr1::agent
