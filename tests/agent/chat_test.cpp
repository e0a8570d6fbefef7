// ChatML rendering as Qwen2.5's chat template renders a conversation with tools, and Python-style JSON.
#include "agent/chat.h"

#include <gtest/gtest.h>

namespace cr1::agent {
namespace {

TEST(PythonJson, SeparatorsOrderAndEscapes) {
  nlohmann::ordered_json j = {{"b", 1}, {"a", {1, 2.5, "x"}}, {"s", "q\"\\\n\tü"}, {"n", nullptr}, {"t", true}};
  EXPECT_EQ(python_json(j), "{\"b\": 1, \"a\": [1, 2.5, \"x\"], \"s\": \"q\\\"\\\\\\n\\tü\", \"n\": null, \"t\": true}");
  // nlohmann::json sorts keys, and that order is what gets written.
  nlohmann::json sorted = {{"b", 1}, {"a", nlohmann::json::object()}};
  EXPECT_EQ(python_json(sorted), "{\"a\": {}, \"b\": 1}");
  EXPECT_EQ(python_json(nlohmann::json::array()), "[]");
  EXPECT_EQ(python_json(nlohmann::json(1.0)), "1.0");
}

TEST(PythonJson, InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json j = std::string("a\xff" "b");
  EXPECT_NO_THROW(python_json(j));
  EXPECT_EQ(python_json(j), "\"a\xEF\xBF\xBD" "b\"");
}

TEST(ChatMl, RendersToolsAndTurnsLikeQwen25Template) {
  nlohmann::json tools = nlohmann::json::array(
      {{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", {{"type", "object"}}}}}}});
  std::vector<ChatMessage> msgs = {{"system", "SYS"},
                                   {"user", "U"},
                                   {"assistant", "<think>t</think>\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>"},
                                   {"tool", "{\"status\": \"success\"}"},
                                   {"tool", "R2"},
                                   {"assistant", "<think>done</think>\n<answer>[\"-Oz\"]</answer>"}};
  std::string expected =
      "<|im_start|>system\nSYS\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
      "{\"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\"}}, \"type\": \"function\"}\n</tools>\n\n"
      "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML "
      "tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\nU<|im_end|>\n"
      "<|im_start|>assistant\n<think>t</think>\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\n<tool_response>\n{\"status\": \"success\"}\n</tool_response>\n<tool_response>\nR2\n</tool_response>"
      "<|im_end|>\n"
      "<|im_start|>assistant\n<think>done</think>\n<answer>[\"-Oz\"]</answer><|im_end|>\n";
  EXPECT_EQ(render_chatml(msgs, tools, false), expected);
  EXPECT_EQ(render_chatml(msgs, tools, true), expected + "<|im_start|>assistant\n");
}

TEST(ChatMl, WithoutToolsOrSystemUsesTheDefaultSystemMessage) {
  std::vector<ChatMessage> msgs = {{"user", "hi"}};
  EXPECT_EQ(render_chatml(msgs, nlohmann::json::array(), true),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  std::vector<ChatMessage> with_sys = {{"system", "S"}, {"user", "hi"}};
  EXPECT_EQ(render_chatml(with_sys, nullptr, false), "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n");
}

TEST(ChatMl, ToolCallInlineForm) {
  EXPECT_EQ(render_tool_call("instrcount", {{"filename", "a.bc"}, {"optimization_flags", {"--sroa"}}}),
            "<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"a.bc\", \"optimization_flags\": "
            "[\"--sroa\"]}}\n</tool_call>");
}

TEST(ChatMl, MessagesRoundTripThroughHfForm) {
  std::vector<ChatMessage> msgs = {{"system", "S"}, {"user", "U"}, {"assistant", "A"}, {"tool", "T"}};
  auto j = messages_to_json(msgs);
  EXPECT_EQ(j[2]["role"], "assistant");
  std::vector<ChatMessage> back;
  ASSERT_TRUE(messages_from_json(j, back));
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[3].content, "T");
  std::string err;
  EXPECT_FALSE(messages_from_json(nlohmann::json::array({{{"content", "x"}}}), back, &err));
  EXPECT_NE(err.find("role"), std::string::npos);
  EXPECT_FALSE(messages_from_json(nlohmann::json::object(), back, &err));
}

}  // namespace
}  // namespace cr1::agent
