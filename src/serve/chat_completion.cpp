#include "serve/chat_completion.h"

#include <algorithm>

#include <fmt/format.h>

namespace cr1::serve {

using nlohmann::json;

namespace {

constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::optional<agent::ToolCall> parse_call(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string() ||
      j["name"].get<std::string>().empty())
    return std::nullopt;
  agent::ToolCall call{j["name"].get<std::string>(), json::object()};
  if (j.contains("arguments")) {
    json args = j["arguments"];
    if (args.is_string()) args = json::parse(args.get<std::string>(), nullptr, false);
    if (args.is_discarded() || !args.is_object()) return std::nullopt;
    call.arguments = std::move(args);
  }
  return call;
}

}  // namespace

CompletionMessage split_tool_calls(std::string_view text) {
  CompletionMessage whole{std::string(text), {}};
  const size_t first = text.find(kOpen);
  if (first == std::string_view::npos) return whole;
  CompletionMessage m;
  std::string_view rest = text.substr(first);
  while (!(rest = trim_left(rest)).empty()) {
    if (!rest.starts_with(kOpen)) return whole;
    const size_t close = rest.find(kClose);
    if (close == std::string_view::npos) return whole;
    auto call = parse_call(rest.substr(kOpen.size(), close - kOpen.size()));
    if (!call) return whole;
    m.tool_calls.push_back(std::move(*call));
    rest.remove_prefix(close + kClose.size());
  }
  auto before = trim_right(text.substr(0, first));
  if (!before.empty()) m.content = std::string(before);
  return m;
}

json tool_calls_json(const std::vector<agent::ToolCall>& calls, const std::string& id_prefix) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i)
    out.push_back({{"id", fmt::format("{}_{}", id_prefix, i)},
                   {"type", "function"},
                   {"function",
                    {{"name", calls[i].name},
                     {"arguments", calls[i].arguments.dump(-1, ' ', false, json::error_handler_t::replace)}}}});
  return out;
}

std::string finish_reason(bool hit_length, const CompletionMessage& m) {
  if (hit_length) return "length";
  return m.tool_calls.empty() ? "stop" : "tool_calls";
}

size_t streamable_prefix(std::string_view text, const std::vector<std::string>& stop_strings) {
  size_t end = text.size();
  auto hold = [&](std::string_view marker) {
    if (marker.empty()) return;
    if (auto at = text.find(marker); at != std::string_view::npos) end = std::min(end, at);
    // The longest tail of text that is a proper prefix of marker.
    for (size_t n = std::min(marker.size() - 1, text.size()); n > 0; --n)
      if (text.substr(text.size() - n) == marker.substr(0, n)) {
        end = std::min(end, text.size() - n);
        break;
      }
  };
  hold(kOpen);
  for (const auto& s : stop_strings) hold(s);
  while (end > 0 && is_space(text[end - 1])) --end;
  return end;
}

std::string CompletionStream::next(std::string_view text_so_far) {
  const size_t n = streamable_prefix(text_so_far, stops_);
  if (n <= sent_) return {};
  std::string delta(text_so_far.substr(sent_, n - sent_));
  sent_ = n;
  return delta;
}

CompletionStream::End CompletionStream::finish(std::string_view final_text) {
  End end{{}, split_tool_calls(final_text)};
  const std::string& content = end.message.content ? *end.message.content : std::string();
  if (content.size() > sent_) end.content = content.substr(sent_);
  sent_ = std::max(sent_, content.size());
  return end;
}

std::string_view cut_at(std::string_view text, std::string_view stop) {
  if (stop.empty()) return text;
  return text.substr(0, std::min(text.size(), text.find(stop)));
}

}  // namespace cr1::serve
