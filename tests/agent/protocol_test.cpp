// The turn parser: every way a turn can break the protocol is a typed error, and nothing throws.
#include "agent/protocol.h"

#include <gtest/gtest.h>

namespace cr1::agent {
namespace {

ProtocolOptions options() {
  ProtocolOptions o;
  o.tool_schemas = nlohmann::json::parse(R"([
    {"type":"function","function":{"name":"instrcount","description":"d","parameters":{"type":"object",
      "properties":{"filename":{"type":"string"},"optimization_flags":{"type":"array","items":{"type":"string"}}},
      "required":["filename","optimization_flags"]}}},
    {"type":"function","function":{"name":"find_best_pass_sequence","description":"d","parameters":{"type":"object",
      "properties":{"filename":{"type":"string"}},"required":["filename"]}}}])");
  return o;
}

ProtocolErrorKind error_of(std::string_view text, ProtocolOptions o = options()) {
  auto t = parse_turn(text, o);
  EXPECT_TRUE(t.error.has_value()) << text;
  return t.error ? t.error->kind : ProtocolErrorKind::empty_turn;
}

TEST(Protocol, WellFormedToolCall) {
  auto t = parse_turn(
      "<think>try it</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"p.bc\", "
      "\"optimization_flags\": [\"--sroa\"]}}\n</tool_call><|im_end|>",
      options());
  ASSERT_TRUE(t.well_formed()) << t.error->message;
  EXPECT_EQ(*t.think, "try it");
  ASSERT_TRUE(t.tool_call);
  EXPECT_EQ(t.tool_call->name, "instrcount");
  EXPECT_EQ(t.tool_call->arguments["filename"], "p.bc");
  EXPECT_FALSE(t.is_answer());
}

TEST(Protocol, ArgumentsAsJsonStringAreAccepted) {
  auto t = parse_turn(R"(<think>x</think><tool_call>{"name": "find_best_pass_sequence", "arguments": "{\"filename\": \"p.bc\"}"}</tool_call>)",
                      options());
  ASSERT_TRUE(t.well_formed()) << t.error->message;
  EXPECT_EQ(t.tool_call->arguments["filename"], "p.bc");
}

TEST(Protocol, WellFormedAnswerJsonAndPythonLists) {
  auto t = parse_turn("<think>done</think>\n<answer>[\"--sroa\", \"--instcombine\"]</answer>", options());
  ASSERT_TRUE(t.well_formed()) << t.error->message;
  ASSERT_TRUE(t.is_answer());
  EXPECT_EQ(t.answer->size(), 2u);
  EXPECT_EQ(t.answer_sequence->size(), 2u);
  auto py = parse_turn("<think>keep -Oz</think><answer>['-Oz']</answer>", options());
  ASSERT_TRUE(py.well_formed()) << py.error->message;
  EXPECT_EQ(py.answer_sequence->pipeline(), "default<Oz>");
}

TEST(Protocol, EveryViolationIsTyped) {
  using K = ProtocolErrorKind;
  EXPECT_EQ(error_of("   \n"), K::empty_turn);
  EXPECT_EQ(error_of("<answer>[\"-Oz\"]</answer>"), K::missing_think);
  EXPECT_EQ(error_of("hello <think>x</think><answer>[\"-Oz\"]</answer>"), K::missing_think);
  EXPECT_EQ(error_of("<think>never closed <answer>[\"-Oz\"]</answer>"), K::unclosed_tag);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{\"name\": \"instrcount\""), K::unclosed_tag);
  EXPECT_EQ(error_of("<think>x</think> I think -Oz is fine."), K::missing_action);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{}</tool_call><tool_call>{}</tool_call>"), K::several_actions);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{}</tool_call><answer>[]</answer>"), K::several_actions);
  EXPECT_EQ(error_of("<think>x</think>Let me call.<tool_call>{\"name\": \"find_best_pass_sequence\", \"arguments\": "
                     "{\"filename\": \"a\"}}</tool_call>"),
            K::stray_text);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{\"name\": \"find_best_pass_sequence\", \"arguments\": {\"filename\": "
                     "\"a\"}}</tool_call> and more"),
            K::stray_text);
  EXPECT_EQ(error_of("<think>x</think><think>y</think><answer>[\"-Oz\"]</answer>"), K::stray_text);
  EXPECT_EQ(error_of("<think>x</think><answer>[\"-Oz\"]</answer> Hope this helps!"), K::text_after_answer);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{name: instrcount}</tool_call>"), K::malformed_json);
  EXPECT_EQ(error_of("<think>x</think><tool_call>[1, 2]</tool_call>"), K::malformed_json);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{\"name\": \"instrcount\", \"arguments\": 3}</tool_call>"), K::malformed_json);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{\"name\": \"run_opt\", \"arguments\": {}}</tool_call>"), K::unknown_tool);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{\"name\": \"instrcount\", \"arguments\": {\"filename\": \"a\"}}</tool_call>"),
            K::bad_arguments);
  EXPECT_EQ(error_of("<think>x</think><tool_call>{\"name\": \"instrcount\", \"arguments\": {\"filename\": 3, "
                     "\"optimization_flags\": []}}</tool_call>"),
            K::bad_arguments);
  EXPECT_EQ(error_of("<think>x</think><answer>--sroa --gvn</answer>"), K::malformed_answer);
  EXPECT_EQ(error_of("<think>x</think><answer>[\"--sroa\", 3]</answer>"), K::malformed_answer);
  EXPECT_EQ(error_of("<think>x</think><answer>[]</answer>"), K::empty_answer);
  EXPECT_EQ(error_of("<think>x</think><answer>[\"--sroa\", \"--make-it-small\"]</answer>"), K::unknown_pass);
}

TEST(Protocol, UnknownPassNamesTheItem) {
  auto t = parse_turn("<think>x</think><answer>[\"--sroa\", \"--make-it-small\"]</answer>", options());
  ASSERT_TRUE(t.error);
  EXPECT_NE(t.error->message.find("make-it-small"), std::string::npos) << t.error->message;
  auto resp = protocol_error_response(*t.error);
  EXPECT_EQ(resp["status"], "error");
  EXPECT_NE(resp["error"].get<std::string>().find("unknown_pass"), std::string::npos);
}

TEST(Protocol, ThinkMayBeOptional) {
  auto o = options();
  o.require_think = false;
  auto t = parse_turn("<answer>[\"-Oz\"]</answer>", o);
  EXPECT_TRUE(t.well_formed());
  EXPECT_FALSE(t.think);
}

TEST(Protocol, NeverThrowsOnGarbage) {
  std::string junk = "<think>\xff\xfe</think><tool_call>{\"name\": \"\xc3\", \"arguments\": {\"a\": [[[[[[[[[[[[[";
  for (size_t cut = 0; cut <= junk.size(); ++cut) EXPECT_NO_THROW(parse_turn(junk.substr(0, cut), options()));
  std::string deep(100000, '[');
  EXPECT_NO_THROW(parse_turn("<think>x</think><answer>" + deep + "</answer>", options()));
  EXPECT_NO_THROW(parse_turn("<think>x</think><tool_call>" + deep + "</tool_call>", options()));
}

}  // namespace
}  // namespace cr1::agent
