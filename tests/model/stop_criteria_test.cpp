#include "model/stop_criteria.h"

#include <gtest/gtest.h>

namespace cr1::model {
namespace {

// A toy vocabulary: id i decodes to kPieces[i].
const char* const kPieces[] = {"a", "</", "tool", "_call", ">", "</tool_call>", "x", "ans", "wer>", "<|im_end|>"};

std::string toy_decode(std::span<const TokenId> ids) {
  std::string s;
  for (TokenId t : ids) s += kPieces[t];
  return s;
}

TEST(StopCriteria, StopTokenIds) {
  StopCriteria c({}, {9, 6}, {});
  std::vector<TokenId> out = {0, 0};
  EXPECT_FALSE(c.check(out));
  out.push_back(6);
  auto m = c.check(out);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->reason, FinishReason::stop_token);
}

TEST(StopCriteria, StopStringSpreadOverTokens) {
  StopCriteria c({"</tool_call>", "</answer>"}, {}, toy_decode);
  std::vector<TokenId> out;
  for (TokenId t : {0, 6, 1, 2, 3}) {
    out.push_back(t);
    EXPECT_FALSE(c.check(out)) << toy_decode(out);
  }
  out.push_back(4);  // "a x </ tool _call >"
  auto m = c.check(out);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->reason, FinishReason::stop_string);
  EXPECT_EQ(m->stop, "</tool_call>");
}

TEST(StopCriteria, StopStringInsideOneTokenAndLongOutputs) {
  StopCriteria c({"</answer>", "<|im_end|>"}, {}, toy_decode);
  std::vector<TokenId> out(500, 0);  // long output: only a window is decoded
  EXPECT_FALSE(c.check(out));
  out.push_back(1);
  out.push_back(7);
  EXPECT_FALSE(c.check(out));
  out.push_back(8);  // "</" "ans" "wer>"
  auto m = c.check(out);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->stop, "</answer>");
  std::vector<TokenId> eos = {0, 9};
  EXPECT_EQ(c.check(eos)->stop, "<|im_end|>");
}

TEST(StopCriteria, WithoutDecoderOnlyIdsCount) {
  StopCriteria c({"</tool_call>"}, {9}, {});
  std::vector<TokenId> out = {5};
  EXPECT_FALSE(c.check(out));
  EXPECT_FALSE(c.check(std::vector<TokenId>{}));
}

}  // namespace
}  // namespace cr1::model
