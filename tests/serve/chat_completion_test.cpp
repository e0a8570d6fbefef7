// The pieces of the chat API that need no model: request parsing (OpenAI messages -> our ChatML),
// the completion -> content/tool_calls split, and what a stream may send early.
#include "serve/chat_completion.h"

#include <gtest/gtest.h>

#include "agent/chat.h"
#include "serve/chat_request.h"

namespace cr1::serve {
namespace {

using nlohmann::json;

TEST(ChatRequest, OpenAiMessagesBecomeQwenChatMl) {
  json body = {
      {"model", "m"},
      {"messages",
       {{{"role", "developer"}, {"content", "S"}},
        {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}},
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls",
          {{{"id", "c1"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", R"({"x": [1, 2]})"}}}},
           {{"id", "c2"}, {"type", "function"}, {"function", {{"name", "g"}, {"arguments", json::object()}}}}}}},
        {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "r1"}},
        {{"role", "tool"}, {"tool_call_id", "c2"}, {"content", "r2"}},
        {{"role", "assistant"}, {"content", "<think>t</think>"}, {"tool_calls", {{{"function", {{"name", "f"}, {"arguments", "{}"}}}}}}}}},
      {"tools", {{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", {{"type", "object"}}}}}}}},
      {"temperature", 0},
      {"max_completion_tokens", 7},
      {"max_tokens", 99},
      {"stop", "END"},
      {"seed", -1},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}}};
  ChatRequest r;
  auto e = parse_chat_request(body.dump(), r);
  ASSERT_FALSE(e) << e->message;
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.messages.size(), 6u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "ab");
  EXPECT_EQ(r.messages[2].content,
            "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>\n"
            "<tool_call>\n{\"name\": \"g\", \"arguments\": {}}\n</tool_call>");
  EXPECT_EQ(r.messages[5].content, "<think>t</think>\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_EQ(r.temperature, 0.0);
  EXPECT_EQ(r.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r.seed, ~uint64_t{0});
  EXPECT_TRUE(r.stream && r.include_usage);
  // Qwen2.5's rendering: consecutive tool results share one user turn.
  std::string chatml = agent::render_chatml(r.messages, r.tools, true);
  EXPECT_NE(chatml.find("<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n"),
            std::string::npos)
      << chatml;
  EXPECT_NE(chatml.find("<tools>\n{\"function\": {\"name\": \"f\""), std::string::npos) << chatml;
  EXPECT_TRUE(chatml.ends_with("<|im_start|>assistant\n"));
}

TEST(ChatRequest, EveryKindOfBadRequestIsNamed) {
  struct Case {
    std::string body, param, says;
  };
  const std::vector<Case> cases = {
      {"{\"messages\": [", "", "not valid JSON"},
      {"[1, 2]", "", "JSON object"},
      {R"({"model": "m"})", "messages", "required"},
      {R"({"messages": {}})", "messages", "must be a list"},
      {R"({"messages": []})", "messages", "empty"},
      {R"({"messages": ["hi"]})", "messages[0]", "object"},
      {R"({"messages": [{"content": "x"}]})", "messages[0].role", "string"},
      {R"({"messages": [{"role": "wizard", "content": "x"}]})", "messages[0].role", "unknown role 'wizard'"},
      {R"({"messages": [{"role": "user"}]})", "messages[0].content", "required"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content", "string or a list"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", "messages[0].content[0]", "only text"},
      {R"({"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{oops"}}]}]})",
       "messages[0].tool_calls[0].function.arguments", "not valid JSON"},
      {R"({"messages": [{"role": "assistant", "tool_calls": [{"function": {}}]}]})", "messages[0].tool_calls[0].function.name", "name"},
      {R"({"model": 3, "messages": [{"role": "user", "content": "x"}]})", "model", "string"},
      {R"({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"})", "temperature", "number"},
      {R"({"messages": [{"role": "user", "content": "x"}], "temperature": 3})", "temperature", "[0, 2]"},
      {R"({"messages": [{"role": "user", "content": "x"}], "top_p": 0})", "top_p", "(0, 1]"},
      {R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0})", "max_tokens", "at least 1"},
      {R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5})", "max_tokens", "integer"},
      {R"({"messages": [{"role": "user", "content": "x"}], "n": 2})", "n", "must be 1"},
      {R"({"messages": [{"role": "user", "content": "x"}], "stream": "yes"})", "stream", "boolean"},
      {R"({"messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": true}})", "stream_options", "only allowed"},
      {R"({"messages": [{"role": "user", "content": "x"}], "stop": [""]})", "stop", "non-empty"},
      {R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]})", "tools[0]", "function"},
      {R"({"messages": [{"role": "user", "content": "x"}], "tool_choice": "required"})", "tool_choice", "auto"},
      {R"({"messages": [{"role": "user", "content": "x"}], "presence_penalty": 0.5})", "presence_penalty", "not supported"},
      {R"({"messages": [{"role": "user", "content": "x"}], "repetition_penalty": 0})", "repetition_penalty", "positive"},
  };
  for (const auto& c : cases) {
    ChatRequest r;
    auto e = parse_chat_request(c.body, r);
    ASSERT_TRUE(e) << c.body;
    EXPECT_EQ(e->status, 400) << c.body;
    EXPECT_EQ(e->param, c.param) << c.body;
    EXPECT_NE(e->message.find(c.says), std::string::npos) << c.body << " -> " << e->message;
    EXPECT_EQ(e->message.find('\n'), std::string::npos) << e->message;
    json body = error_body(*e);
    EXPECT_EQ(body["error"]["type"], "invalid_request_error");
    EXPECT_EQ(body["error"]["message"], e->message);
  }
  ChatRequest r;
  EXPECT_FALSE(parse_chat_request(R"({"messages": [{"role": "user", "content": "x"}], "top_k": -1, "n": 1, "tool_choice": "none",
      "tools": [{"type": "function", "function": {"name": "f"}}], "presence_penalty": 0})",
                                  r));
  EXPECT_TRUE(r.tools.empty());  // tool_choice none: the model is not shown them
}

TEST(SplitToolCalls, QwenCallsBecomeToolCalls) {
  auto m = split_tool_calls(
      "<think>measure first</think>\n\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"a.c\", "
      "\"optimization_flags\": [\"--sroa\"]}}\n</tool_call>\n<tool_call>{\"name\": \"g\", \"arguments\": \"{\\\"k\\\": 1}\"}"
      "</tool_call>\n");
  ASSERT_EQ(m.tool_calls.size(), 2u);
  EXPECT_EQ(m.content, "<think>measure first</think>");
  EXPECT_EQ(m.tool_calls[0].name, "instrcount");
  EXPECT_EQ(m.tool_calls[0].arguments["optimization_flags"][0], "--sroa");
  EXPECT_EQ(m.tool_calls[1].arguments, (json{{"k", 1}}));
  EXPECT_EQ(finish_reason(false, m), "tool_calls");
  EXPECT_EQ(finish_reason(true, m), "length");
  json calls = tool_calls_json(m.tool_calls, "call_x");
  EXPECT_EQ(calls[1]["id"], "call_x_1");
  EXPECT_EQ(calls[0]["type"], "function");
  EXPECT_EQ(json::parse(calls[0]["function"]["arguments"].get<std::string>())["filename"], "a.c");

  auto only = split_tool_calls("<tool_call>\n{\"name\": \"f\"}\n</tool_call>");
  ASSERT_EQ(only.tool_calls.size(), 1u);
  EXPECT_FALSE(only.content.has_value());
  EXPECT_EQ(only.tool_calls[0].arguments, json::object());
}

TEST(SplitToolCalls, AnythingElseStaysContent) {
  for (std::string text : {
           std::string("<think>x</think><answer>[\"--sroa\"]</answer>"),
           std::string("<tool_call>\n{\"name\": \"f\", \"arguments\": {}\n</tool_call>"),      // bad JSON
           std::string("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n"),                 // unclosed
           std::string("<tool_call>{\"arguments\": {}}</tool_call>"),                          // no name
           std::string("<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>"),        // not an object
           std::string("<tool_call>{\"name\": \"f\"}</tool_call> and then some words"),        // stray text
           std::string(""),
       }) {
    auto m = split_tool_calls(text);
    EXPECT_TRUE(m.tool_calls.empty()) << text;
    EXPECT_EQ(m.content, text);
    EXPECT_EQ(finish_reason(false, m), "stop");
  }
}

TEST(StreamablePrefix, HoldsBackWhatMayStillChange) {
  EXPECT_EQ(streamable_prefix("hello world", {}), 11u);
  EXPECT_EQ(streamable_prefix("hello <tool", {}), 5u);        // maybe a call starts; the space too
  EXPECT_EQ(streamable_prefix("hello <tool_call>{", {}), 5u);
  EXPECT_EQ(streamable_prefix("hello <b>", {}), 9u);          // "<b>" can no longer become "<tool_call>"
  EXPECT_EQ(streamable_prefix("abc EN", {"END"}), 3u);
  EXPECT_EQ(streamable_prefix("abcENDxyz", {"END"}), 3u);
  EXPECT_EQ(streamable_prefix("abc\n\n", {}), 3u);
  EXPECT_EQ(streamable_prefix("", {"x"}), 0u);
  EXPECT_EQ(cut_at("abcENDxyzEND", "END"), "abc");
  EXPECT_EQ(cut_at("abc", "END"), "abc");
}

// Feeds `text` one byte at a time, as a stream would see it grow, and checks that what went out is
// always a prefix of the final content.
std::string stream_through(const std::string& text, const std::string& final_text, const std::vector<std::string>& stops,
                           CompletionStream::End& end) {
  CompletionStream stream(stops);
  std::string sent;
  const auto whole = split_tool_calls(final_text);
  const std::string want = whole.content.value_or("");
  for (size_t n = 0; n <= text.size(); ++n) {
    sent += stream.next(std::string_view(text).substr(0, n));
    EXPECT_TRUE(want.starts_with(sent)) << "after " << n << " bytes sent '" << sent << "'";
  }
  end = stream.finish(final_text);
  return sent + end.content;
}

TEST(CompletionStream, StreamedToolCallTurnAddsUpToTheMessage) {
  const std::string text =
      "<think>measure it</think>\n \n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"a.c\"}}\n</tool_call>";
  CompletionStream::End end;
  EXPECT_EQ(stream_through(text, text, {}, end), "<think>measure it</think>");
  ASSERT_EQ(end.message.tool_calls.size(), 1u);
  EXPECT_EQ(end.message.tool_calls[0].name, "instrcount");
  EXPECT_EQ(finish_reason(false, end.message), "tool_calls");
}

TEST(CompletionStream, StreamedTextStopsBeforeTheStopString) {
  CompletionStream::End end;
  // The model wrote past the stop string's start within its last token; the client sees the cut text.
  EXPECT_EQ(stream_through("Hello <b>world</b> END of it", "Hello <b>world</b> ", {"END"}, end), "Hello <b>world</b> ");
  EXPECT_TRUE(end.message.tool_calls.empty());
  // A broken call is content, sent whole at the end.
  const std::string broken = "x <tool_call>{\"name\": }</tool_call>";
  EXPECT_EQ(stream_through(broken, broken, {}, end), broken);
  EXPECT_TRUE(end.message.tool_calls.empty());
}

}  // namespace
}  // namespace cr1::serve
