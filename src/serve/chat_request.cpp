#include "serve/chat_request.h"

#include <fmt/format.h>

namespace cr1::serve {

using nlohmann::json;

namespace {

RequestError bad(std::string param, std::string message) {
  RequestError e;
  e.message = std::move(message);
  e.param = std::move(param);
  return e;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "a list";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

// A message's content: a string, null, or a list of {"type": "text", "text": …} parts (joined).
std::optional<RequestError> read_content(const json& m, const std::string& where, bool required, std::string& out) {
  out.clear();
  if (!m.contains("content") || m["content"].is_null()) {
    if (required) return bad(where + ".content", fmt::format("{}.content is required", where));
    return std::nullopt;
  }
  const json& c = m["content"];
  if (c.is_string()) {
    out = c.get<std::string>();
    return std::nullopt;
  }
  if (!c.is_array())
    return bad(where + ".content", fmt::format("{}.content must be a string or a list of text parts, not {}", where, type_name(c)));
  for (size_t k = 0; k < c.size(); ++k) {
    const json& part = c[k];
    auto pw = fmt::format("{}.content[{}]", where, k);
    if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") || !part["text"].is_string())
      return bad(pw, fmt::format("{} must be {{\"type\": \"text\", \"text\": string}} (only text is supported)", pw));
    out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

// The assistant's tool calls, inline as Qwen2.5's template writes them.
std::optional<RequestError> append_tool_calls(const json& calls, const std::string& where, std::string& content) {
  if (calls.is_null()) return std::nullopt;
  if (!calls.is_array()) return bad(where, fmt::format("{} must be a list, not {}", where, type_name(calls)));
  for (size_t k = 0; k < calls.size(); ++k) {
    auto cw = fmt::format("{}[{}]", where, k);
    const json& c = calls[k];
    if (!c.is_object()) return bad(cw, fmt::format("{} must be an object", cw));
    if (c.contains("type") && c["type"] != "function")
      return bad(cw + ".type", fmt::format("{}.type must be \"function\"", cw));
    if (!c.contains("function") || !c["function"].is_object())
      return bad(cw + ".function", fmt::format("{}.function must be an object with a name and arguments", cw));
    const json& f = c["function"];
    if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
      return bad(cw + ".function.name", fmt::format("{}.function.name must be a non-empty string", cw));
    json args = json::object();
    if (f.contains("arguments") && !f["arguments"].is_null()) {
      args = f["arguments"];
      if (args.is_string()) {  // OpenAI sends the arguments as JSON text; the template renders the object
        args = json::parse(f["arguments"].get<std::string>(), nullptr, false);
        if (args.is_discarded())
          return bad(cw + ".function.arguments", fmt::format("{}.function.arguments is not valid JSON", cw));
      }
    }
    if (!content.empty()) content += '\n';
    content += agent::render_tool_call(f["name"].get<std::string>(), args);
  }
  return std::nullopt;
}

std::optional<RequestError> read_messages(const json& j, std::vector<agent::ChatMessage>& out) {
  if (!j.contains("messages")) return bad("messages", "'messages' is required");
  const json& ms = j["messages"];
  if (!ms.is_array()) return bad("messages", fmt::format("'messages' must be a list, not {}", type_name(ms)));
  if (ms.empty()) return bad("messages", "'messages' is empty");
  out.clear();
  for (size_t i = 0; i < ms.size(); ++i) {
    auto where = fmt::format("messages[{}]", i);
    const json& m = ms[i];
    if (!m.is_object()) return bad(where, fmt::format("{} must be an object, not {}", where, type_name(m)));
    if (!m.contains("role") || !m["role"].is_string()) return bad(where + ".role", fmt::format("{}.role must be a string", where));
    std::string role = m["role"].get<std::string>();
    agent::ChatMessage msg;
    if (role == "system" || role == "developer" || role == "user" || role == "tool") {
      if (auto e = read_content(m, where, true, msg.content)) return e;
      msg.role = role == "developer" ? "system" : role;
      if (role == "tool" && m.contains("tool_call_id") && !m["tool_call_id"].is_string() && !m["tool_call_id"].is_null())
        return bad(where + ".tool_call_id", fmt::format("{}.tool_call_id must be a string", where));
    } else if (role == "assistant") {
      if (auto e = read_content(m, where, false, msg.content)) return e;
      msg.role = role;
      if (m.contains("tool_calls"))
        if (auto e = append_tool_calls(m["tool_calls"], where + ".tool_calls", msg.content)) return e;
    } else {
      return bad(where + ".role",
                 fmt::format("{}.role: unknown role '{}' (expected system, developer, user, assistant or tool)", where, role));
    }
    out.push_back(std::move(msg));
  }
  return std::nullopt;
}

std::optional<RequestError> read_tools(const json& j, ChatRequest& out) {
  out.tools = json::array();
  bool hide_tools = false;
  if (j.contains("tool_choice") && !j["tool_choice"].is_null()) {
    const json& c = j["tool_choice"];
    if (c == "none") hide_tools = true;
    else if (c != "auto")
      return bad("tool_choice", "tool_choice: only \"auto\" and \"none\" are supported (no constrained decoding)");
  }
  if (!j.contains("tools") || j["tools"].is_null()) return std::nullopt;
  const json& ts = j["tools"];
  if (!ts.is_array()) return bad("tools", fmt::format("'tools' must be a list, not {}", type_name(ts)));
  for (size_t k = 0; k < ts.size(); ++k) {
    auto where = fmt::format("tools[{}]", k);
    const json& t = ts[k];
    if (!t.is_object() || t.value("type", json()) != "function" || !t.contains("function") || !t["function"].is_object())
      return bad(where, fmt::format("{} must be {{\"type\": \"function\", \"function\": {{…}}}}", where));
    const json& f = t["function"];
    if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
      return bad(where + ".function.name", fmt::format("{}.function.name must be a non-empty string", where));
    if (f.contains("parameters") && !f["parameters"].is_object())
      return bad(where + ".function.parameters", fmt::format("{}.function.parameters must be an object", where));
    out.tools.push_back(t);
  }
  if (hide_tools) out.tools = json::array();  // tool_choice "none": the model is not told about them
  return std::nullopt;
}

template <class T>
std::optional<RequestError> read_number(const json& j, const char* key, std::optional<T>& out, double lo, double hi,
                                        bool lo_open, const char* range) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  const json& v = j[key];
  const bool integral = std::is_integral_v<T>;
  if (!v.is_number() || (integral && !v.is_number_integer()))
    return bad(key, fmt::format("'{}' must be {}, not {}", key, integral ? "an integer" : "a number", type_name(v)));
  double d = v.get<double>();
  if (d < lo || d > hi || (lo_open && d == lo)) return bad(key, fmt::format("'{}' must be {}, got {}", key, range, v.dump()));
  out = v.get<T>();
  return std::nullopt;
}

std::optional<RequestError> read_sampling(const json& j, ChatRequest& out) {
  constexpr double kBig = 1e18;
  if (auto e = read_number(j, "temperature", out.temperature, 0, 2, false, "in [0, 2]")) return e;
  if (auto e = read_number(j, "top_p", out.top_p, 0, 1, true, "in (0, 1]")) return e;
  if (auto e = read_number(j, "top_k", out.top_k, -1, kBig, false, "-1 (off), 0 (off) or positive")) return e;
  if (auto e = read_number(j, "repetition_penalty", out.repetition_penalty, 0, kBig, true, "positive")) return e;
  std::optional<int64_t> max_tokens, max_completion_tokens;
  if (auto e = read_number(j, "max_tokens", max_tokens, 1, kBig, false, "at least 1")) return e;
  if (auto e = read_number(j, "max_completion_tokens", max_completion_tokens, 1, kBig, false, "at least 1")) return e;
  out.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
  std::optional<int64_t> n;
  if (auto e = read_number(j, "n", n, -kBig, kBig, false, "1")) return e;
  if (n && *n != 1) return bad("n", fmt::format("'n' must be 1 (one choice per request), got {}", *n));
  std::optional<int64_t> seed;
  if (auto e = read_number(j, "seed", seed, -9.3e18, 9.3e18, false, "a 64-bit integer")) return e;
  if (seed) out.seed = static_cast<uint64_t>(*seed);
  for (const char* key : {"presence_penalty", "frequency_penalty"}) {
    std::optional<double> p;
    if (auto e = read_number(j, key, p, -2, 2, false, "in [-2, 2]")) return e;
    if (p && *p != 0) return bad(key, fmt::format("'{}' is not supported (use repetition_penalty)", key));
  }
  if (j.contains("logprobs") && j["logprobs"] == true) return bad("logprobs", "'logprobs' is not supported");
  if (j.contains("response_format") && j["response_format"].is_object() &&
      j["response_format"].value("type", json("text")) != "text")
    return bad("response_format", "'response_format': only {\"type\": \"text\"} is supported");
  if (j.contains("stop") && !j["stop"].is_null()) {
    const json& s = j["stop"];
    std::vector<json> items = s.is_array() ? std::vector<json>(s.begin(), s.end()) : std::vector<json>{s};
    if (items.size() > 16) return bad("stop", "'stop' has more than 16 strings");
    for (const auto& x : items) {
      if (!x.is_string() || x.get<std::string>().empty())
        return bad("stop", "'stop' must be a non-empty string or a list of non-empty strings");
      out.stop.push_back(x.get<std::string>());
    }
  }
  if (j.contains("stream") && !j["stream"].is_null()) {
    if (!j["stream"].is_boolean()) return bad("stream", fmt::format("'stream' must be a boolean, not {}", type_name(j["stream"])));
    out.stream = j["stream"].get<bool>();
  }
  if (j.contains("stream_options") && !j["stream_options"].is_null()) {
    const json& so = j["stream_options"];
    if (!so.is_object()) return bad("stream_options", "'stream_options' must be an object");
    if (!out.stream) return bad("stream_options", "'stream_options' is only allowed with \"stream\": true");
    if (so.contains("include_usage")) {
      if (!so["include_usage"].is_boolean()) return bad("stream_options.include_usage", "'stream_options.include_usage' must be a boolean");
      out.include_usage = so["include_usage"].get<bool>();
    }
  }
  return std::nullopt;
}

}  // namespace

json error_body(const RequestError& e) {
  return {{"error",
           {{"message", e.message},
            {"type", e.type},
            {"param", e.param.empty() ? json() : json(e.param)},
            {"code", e.code.empty() ? json() : json(e.code)}}}};
}

std::optional<RequestError> parse_chat_request(std::string_view body, ChatRequest& out) {
  out = ChatRequest{};
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    return bad("", fmt::format("the request body is not valid JSON: {}", e.what()));
  }
  if (!j.is_object()) return bad("", fmt::format("the request body must be a JSON object, not {}", type_name(j)));
  if (j.contains("model") && !j["model"].is_null()) {
    if (!j["model"].is_string()) return bad("model", fmt::format("'model' must be a string, not {}", type_name(j["model"])));
    out.model = j["model"].get<std::string>();
  }
  if (auto e = read_messages(j, out.messages)) return e;
  if (auto e = read_tools(j, out)) return e;
  if (auto e = read_sampling(j, out)) return e;
  return std::nullopt;
}

}  // namespace cr1::serve
