#include "agent/protocol.h"

#include <fmt/format.h>

namespace cr1::agent {
namespace {

constexpr std::string_view kThinkOpen = "<think>", kThinkClose = "</think>";
constexpr std::string_view kCallOpen = "<tool_call>", kCallClose = "</tool_call>";
constexpr std::string_view kAnswerOpen = "<answer>", kAnswerClose = "</answer>";

std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

size_t count_of(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (auto p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + needle.size())) ++n;
  return n;
}

// A short excerpt for error messages, so a long ramble does not flood the context.
std::string excerpt(std::string_view s, size_t max = 60) {
  s = trim(s);
  if (s.size() <= max) return std::string(s);
  while (max > 0 && (static_cast<unsigned char>(s[max]) & 0xC0) == 0x80) --max;  // whole UTF-8 characters
  return std::string(s.substr(0, max)) + "…";
}

ParsedTurn fail(ParsedTurn t, ProtocolErrorKind kind, std::string message) {
  t.error = ProtocolError{kind, std::move(message)};
  return t;
}

bool json_type_matches(const nlohmann::json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return true;  // a type we do not check
}

const nlohmann::json* find_schema(const nlohmann::json& schemas, const std::string& name) {
  if (!schemas.is_array()) return nullptr;
  for (const auto& s : schemas) {
    const nlohmann::json& f = s.contains("function") ? s["function"] : s;
    if (f.is_object() && f.value("name", "") == name) return &f;
  }
  return nullptr;
}

std::string tool_names(const nlohmann::json& schemas) {
  std::string out;
  if (!schemas.is_array()) return out;
  for (const auto& s : schemas) {
    const nlohmann::json& f = s.contains("function") ? s["function"] : s;
    if (!f.is_object()) continue;
    if (!out.empty()) out += ", ";
    out += f.value("name", "?");
  }
  return out;
}

ParsedTurn parse_call(ParsedTurn t, std::string_view body, const ProtocolOptions& o) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return fail(std::move(t), ProtocolErrorKind::malformed_json,
                fmt::format("the tool call is not valid JSON: {}; write {{\"name\": \"<tool>\", \"arguments\": {{…}}}}",
                            excerpt(body)));
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    return fail(std::move(t), ProtocolErrorKind::malformed_json,
                "the tool call needs a string \"name\" and an object \"arguments\"");
  ToolCall call{j["name"].get<std::string>(), nlohmann::json::object()};
  if (j.contains("arguments")) {
    auto args = j["arguments"];
    // OpenAI-style servers carry the arguments as a JSON string.
    if (args.is_string()) args = nlohmann::json::parse(args.get<std::string>(), nullptr, false);
    if (!args.is_object())
      return fail(std::move(t), ProtocolErrorKind::malformed_json, "the tool call's \"arguments\" must be a JSON object");
    call.arguments = std::move(args);
  }
  const nlohmann::json* schema = find_schema(o.tool_schemas, call.name);
  if (!schema)
    return fail(std::move(t), ProtocolErrorKind::unknown_tool,
                fmt::format("unknown tool '{}'; the tools are: {}", call.name, tool_names(o.tool_schemas)));
  if (schema->contains("parameters")) {
    const auto& params = (*schema)["parameters"];
    const auto props = params.value("properties", nlohmann::json::object());
    for (const auto& req : params.value("required", nlohmann::json::array())) {
      if (!req.is_string()) continue;
      auto key = req.get<std::string>();
      if (!call.arguments.contains(key))
        return fail(std::move(t), ProtocolErrorKind::bad_arguments,
                    fmt::format("tool '{}' needs the argument '{}'", call.name, key));
    }
    for (const auto& [key, value] : call.arguments.items()) {
      if (!props.contains(key) || !props[key].contains("type") || !props[key]["type"].is_string()) continue;
      auto type = props[key]["type"].get<std::string>();
      if (!json_type_matches(value, type))
        return fail(std::move(t), ProtocolErrorKind::bad_arguments,
                    fmt::format("argument '{}' of tool '{}' must be of JSON type {}", key, call.name, type));
    }
  }
  t.tool_call = std::move(call);
  return t;
}

ParsedTurn parse_answer(ParsedTurn t, std::string_view body) {
  body = trim(body);
  auto j = nlohmann::json::parse(body, nullptr, false);
  // The paper's template writes Python lists (['-Oz']); accept them when they hold no double quotes.
  if (j.is_discarded() && body.find('"') == std::string_view::npos) {
    std::string swapped(body);
    for (char& c : swapped)
      if (c == '\'') c = '"';
    j = nlohmann::json::parse(swapped, nullptr, false);
  }
  if (j.is_discarded() || !j.is_array())
    return fail(std::move(t), ProtocolErrorKind::malformed_answer,
                fmt::format("the answer must be a JSON list of pass flags such as [\"--sroa\", \"--instcombine\"], got {}",
                            excerpt(body)));
  std::vector<std::string> items;
  for (const auto& e : j) {
    if (!e.is_string())
      return fail(std::move(t), ProtocolErrorKind::malformed_answer,
                  fmt::format("every answer item must be a string, got {}", excerpt(e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))));
    items.push_back(e.get<std::string>());
  }
  if (items.empty())
    return fail(std::move(t), ProtocolErrorKind::empty_answer, "the answer is an empty list; answer [\"-Oz\"] to keep -Oz");
  for (const auto& item : items) {
    auto one = ir::parse_sequence(item);
    if (!one || one->empty())
      return fail(std::move(t), ProtocolErrorKind::unknown_pass,
                  one ? fmt::format("answer item '{}' names no pass", excerpt(item)) : one.error().message);
  }
  auto seq = ir::parse_sequence(std::span<const std::string>(items));
  if (!seq) return fail(std::move(t), ProtocolErrorKind::unknown_pass, seq.error().message);
  t.answer = std::move(items);
  t.answer_sequence = std::move(*seq);
  return t;
}

ParsedTurn parse_action(ParsedTurn t, std::string_view rest, const ProtocolOptions& o) {
  size_t calls = count_of(rest, kCallOpen), answers = count_of(rest, kAnswerOpen);
  if (calls + answers == 0)
    return fail(std::move(t), ProtocolErrorKind::missing_action,
                "no action: after </think> write one <tool_call>{…}</tool_call> or <answer>[…]</answer>");
  if (calls + answers > 1)
    return fail(std::move(t), ProtocolErrorKind::several_actions,
                fmt::format("{} tool calls and {} answers in one turn; write exactly one action per turn", calls, answers));
  bool is_call = calls == 1;
  auto open = is_call ? kCallOpen : kAnswerOpen;
  auto close = is_call ? kCallClose : kAnswerClose;
  size_t s = rest.find(open);
  size_t e = rest.find(close, s + open.size());
  if (e == std::string_view::npos)
    return fail(std::move(t), ProtocolErrorKind::unclosed_tag, fmt::format("{} without {}", open, close));
  if (!trim(rest.substr(0, s)).empty())
    return fail(std::move(t), ProtocolErrorKind::stray_text,
                fmt::format("text outside the tags before {}: '{}'", open, excerpt(rest.substr(0, s))));
  std::string_view after = rest.substr(e + close.size());
  if (!trim(after).empty())
    return fail(std::move(t), is_call ? ProtocolErrorKind::stray_text : ProtocolErrorKind::text_after_answer,
                fmt::format("text after {}: '{}'; end the turn there", close, excerpt(after)));
  std::string_view body = trim(rest.substr(s + open.size(), e - s - open.size()));
  return is_call ? parse_call(std::move(t), body, o) : parse_answer(std::move(t), body);
}

}  // namespace

const char* protocol_error_name(ProtocolErrorKind kind) {
  switch (kind) {
    case ProtocolErrorKind::empty_turn: return "empty_turn";
    case ProtocolErrorKind::missing_think: return "missing_think";
    case ProtocolErrorKind::unclosed_tag: return "unclosed_tag";
    case ProtocolErrorKind::missing_action: return "missing_action";
    case ProtocolErrorKind::several_actions: return "several_actions";
    case ProtocolErrorKind::stray_text: return "stray_text";
    case ProtocolErrorKind::text_after_answer: return "text_after_answer";
    case ProtocolErrorKind::malformed_json: return "malformed_json";
    case ProtocolErrorKind::unknown_tool: return "unknown_tool";
    case ProtocolErrorKind::bad_arguments: return "bad_arguments";
    case ProtocolErrorKind::tool_limit: return "tool_limit";
    case ProtocolErrorKind::malformed_answer: return "malformed_answer";
    case ProtocolErrorKind::empty_answer: return "empty_answer";
    case ProtocolErrorKind::unknown_pass: return "unknown_pass";
    case ProtocolErrorKind::turn_too_long: return "turn_too_long";
  }
  return "unknown";
}

std::string_view strip_end_of_turn(std::string_view text) {
  if (auto p = text.find(std::string_view("<|im_end|>")); p != std::string_view::npos) return text.substr(0, p);
  return text;
}

ParsedTurn parse_turn(std::string_view text, const ProtocolOptions& o) {
  ParsedTurn t;
  try {
    std::string_view s = trim(strip_end_of_turn(text));
    if (s.empty()) return fail(std::move(t), ProtocolErrorKind::empty_turn, "empty turn; start with <think>…</think>");
    std::string_view rest = s;
    if (s.starts_with(kThinkOpen)) {
      size_t e = s.find(kThinkClose);
      if (e == std::string_view::npos)
        return fail(std::move(t), ProtocolErrorKind::unclosed_tag, "<think> without </think>");
      std::string_view inner = s.substr(kThinkOpen.size(), e - kThinkOpen.size());
      if (inner.find(kThinkOpen) != std::string_view::npos)
        return fail(std::move(t), ProtocolErrorKind::several_actions, "a second <think> inside <think>");
      t.think = std::string(trim(inner));
      rest = s.substr(e + kThinkClose.size());
    } else if (o.require_think) {
      return fail(std::move(t), ProtocolErrorKind::missing_think,
                  s.find(kThinkOpen) != std::string_view::npos
                      ? fmt::format("text before <think>: '{}'; start the turn with <think>", excerpt(s.substr(0, s.find(kThinkOpen))))
                      : std::string("start the turn with <think>your reasoning</think>"));
    }
    if (rest.find(kThinkOpen) != std::string_view::npos || rest.find(kThinkClose) != std::string_view::npos)
      return fail(std::move(t), ProtocolErrorKind::stray_text, "a second <think> block; write one per turn");
    return parse_action(std::move(t), rest, o);
  } catch (const std::exception& e) {
    // Nothing above should throw; a model's text must never take the runner down.
    return fail(std::move(t), ProtocolErrorKind::malformed_json, fmt::format("unreadable turn ({})", e.what()));
  }
}

nlohmann::json protocol_error_response(const ProtocolError& error) {
  return {{"status", "error"}, {"error", fmt::format("protocol error ({}): {}", protocol_error_name(error.kind), error.message)}};
}

}  // namespace cr1::agent
