#include "agent/openai_policy.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

namespace cr1::agent {
namespace {

struct Url {
  std::string scheme_host_port;  // "http://host:port"
  std::string path;              // "/v1"
};

Expected<Url> split_url(const std::string& base) {
  auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos || (base.substr(0, scheme_end) != "http" && base.substr(0, scheme_end) != "https"))
    return make_error(ErrorKind::invalid_input, fmt::format("--base-url '{}': expected http://HOST[:PORT][/PATH]", base));
  auto path_start = base.find('/', scheme_end + 3);
  Url u;
  u.scheme_host_port = base.substr(0, path_start);
  u.path = path_start == std::string::npos ? "" : base.substr(path_start);
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  if (u.path.empty()) u.path = "/v1";
  if (u.scheme_host_port.size() <= scheme_end + 3)
    return make_error(ErrorKind::invalid_input, fmt::format("--base-url '{}': no host", base));
  return u;
}

// The text of an assistant turn before its <tool_call>, for the structured style.
std::string text_before_call(const std::string& text) {
  auto p = text.find("<tool_call>");
  std::string s = p == std::string::npos ? text : text.substr(0, p);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string excerpt(const std::string& s, size_t n = 200) { return s.size() <= n ? s : s.substr(0, n) + "…"; }

}  // namespace

OpenAiPolicy::OpenAiPolicy(OpenAiOptions options) : o_(std::move(options)) {}

std::string OpenAiPolicy::name() const {
  return fmt::format("openai;model={},temperature={:g},top_p={:g}", o_.model, o_.temperature, o_.top_p);
}

std::string assistant_text_from_message(const nlohmann::json& m) {
  std::string text;
  if (m.contains("reasoning_content") && m["reasoning_content"].is_string() && !m["reasoning_content"].get<std::string>().empty())
    text = "<think>" + m["reasoning_content"].get<std::string>() + "</think>\n";
  if (m.contains("content") && m["content"].is_string()) text += m["content"].get<std::string>();
  if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
    for (const auto& c : m["tool_calls"]) {
      const nlohmann::json& f = c.contains("function") ? c["function"] : c;
      std::string name = f.value("name", "");
      nlohmann::json args = nlohmann::json::object();
      if (f.contains("arguments")) {
        args = f["arguments"];
        if (args.is_string()) {
          auto parsed = nlohmann::json::parse(args.get<std::string>(), nullptr, false);
          // Unparsable arguments stay a string, and the protocol check reports them.
          if (!parsed.is_discarded()) args = std::move(parsed);
        }
      }
      while (!text.empty() && text.back() == '\n') text.pop_back();
      if (!text.empty()) text += '\n';
      text += render_tool_call(name, args);
    }
  }
  return text;
}

nlohmann::json OpenAiPolicy::request_body(const EpisodeState& state) const {
  nlohmann::json msgs = nlohmann::json::array();
  // Assistant turns i (in order) pair with state.steps[i].
  size_t turn = 0;
  std::string pending_call_id;
  for (const auto& m : state.messages) {
    if (m.role == "assistant") {
      const EpisodeStep* step = turn < state.steps.size() ? &state.steps[turn] : nullptr;
      ++turn;
      pending_call_id.clear();
      if (o_.style == MessageStyle::openai && step && step->parsed.tool_call) {
        pending_call_id = fmt::format("call_{}", turn);
        msgs.push_back({{"role", "assistant"},
                        {"content", text_before_call(m.content)},
                        {"tool_calls",
                         {{{"id", pending_call_id},
                           {"type", "function"},
                           {"function",
                            {{"name", step->parsed.tool_call->name},
                             {"arguments", step->parsed.tool_call->arguments.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}}}}}}});
      } else {
        msgs.push_back({{"role", "assistant"}, {"content", m.content}});
      }
    } else if (m.role == "tool") {
      if (o_.style == MessageStyle::openai && !pending_call_id.empty())
        msgs.push_back({{"role", "tool"}, {"tool_call_id", pending_call_id}, {"content", m.content}});
      else
        msgs.push_back({{"role", "user"}, {"content", "<tool_response>\n" + m.content + "\n</tool_response>"}});
      pending_call_id.clear();
    } else {
      msgs.push_back({{"role", m.role}, {"content", m.content}});
    }
  }
  nlohmann::json body = {{"model", o_.model}, {"messages", msgs}, {"temperature", o_.temperature}, {"top_p", o_.top_p}};
  if (o_.send_tools && state.tools.is_array() && !state.tools.empty()) body["tools"] = state.tools;
  if (state.max_tokens) body["max_tokens"] = state.max_tokens;
  if (o_.seed) body["seed"] = *o_.seed;
  return body;
}

Expected<PolicyReply> OpenAiPolicy::act(const EpisodeState& state) {
  auto url = split_url(o_.base_url);
  if (!url) return url.take_error();
  std::string body = request_body(state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string path = url->path + "/chat/completions";
  httplib::Headers headers;
  if (!o_.api_key.empty()) headers.emplace("Authorization", "Bearer " + o_.api_key);

  std::string last_error;
  for (int attempt = 0; attempt <= o_.retries; ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(250 << std::min(attempt, 5)));
    httplib::Client client(url->scheme_host_port);
    auto timeout = std::chrono::duration<double>(o_.timeout_seconds);
    client.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(std::min(timeout, std::chrono::duration<double>(10))));
    client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    client.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    auto res = client.Post(path, headers, body, "application/json");
    if (!res) {
      last_error = fmt::format("{}{}: {}", o_.base_url, "/chat/completions", httplib::to_string(res.error()));
      continue;
    }
    if (res->status >= 500) {
      last_error = fmt::format("{}/chat/completions: HTTP {}: {}", o_.base_url, res->status, excerpt(res->body));
      continue;
    }
    if (res->status != 200)
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}/chat/completions: HTTP {}: {}", o_.base_url, res->status, excerpt(res->body)));
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_discarded() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() ||
        !j["choices"][0].contains("message") || !j["choices"][0]["message"].is_object())
      return make_error(ErrorKind::parse, fmt::format("{}/chat/completions: not a chat completion: {}", o_.base_url,
                                                      excerpt(res->body)));
    const auto& choice = j["choices"][0];
    PolicyReply reply;
    reply.text = assistant_text_from_message(choice["message"]);
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
      reply.finish_reason = choice["finish_reason"].get<std::string>();
    if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("completion_tokens") &&
        j["usage"]["completion_tokens"].is_number_unsigned())
      reply.tokens = j["usage"]["completion_tokens"].get<size_t>();
    return reply;
  }
  return make_error(ErrorKind::io, fmt::format("{} (after {} attempts)", last_error, o_.retries + 1));
}

}  // namespace cr1::agent
