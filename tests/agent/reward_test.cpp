// Every branch of the format score, and the reward built on it.
#include "agent/reward.h"

#include <gtest/gtest.h>

namespace cr1::agent {
namespace {

constexpr TurnShape kCall{true, false}, kAnswer{true, true}, kBroken{false, false};

TEST(FormatScore, NoTurnsScoresZero) {
  auto f = format_score({});
  EXPECT_EQ(f.score, 0);
  EXPECT_FALSE(f.exact);
}

TEST(FormatScore, ExactTrajectoryGetsFullMarks) {
  std::vector<TurnShape> t = {kCall, kCall, kAnswer};
  auto f = format_score(t);
  EXPECT_TRUE(f.exact);
  EXPECT_DOUBLE_EQ(f.score, 1.5);
  std::vector<TurnShape> only_answer = {kAnswer};
  EXPECT_DOUBLE_EQ(format_score(only_answer).score, 1.5);
}

TEST(FormatScore, RecoveredFromABrokenTurnGetsPartialCredit) {
  std::vector<TurnShape> t = {kCall, kBroken, kCall, kAnswer};
  auto f = format_score(t);
  EXPECT_FALSE(f.exact);
  EXPECT_TRUE(f.ended_with_answer);
  EXPECT_DOUBLE_EQ(f.score, 1.0 * 3 / 4 + 0.5);
}

TEST(FormatScore, NoAnswerGetsTurnCreditOnly) {
  std::vector<TurnShape> t = {kCall, kCall, kCall};  // e.g. stopped by max turns
  auto f = format_score(t);
  EXPECT_FALSE(f.ended_with_answer);
  EXPECT_DOUBLE_EQ(f.score, 1.0);
}

TEST(FormatScore, BrokenLastTurnIsNoAnswer) {
  std::vector<TurnShape> t = {kCall, kBroken};  // e.g. an answer with an unknown pass, episode ended
  auto f = format_score(t);
  EXPECT_FALSE(f.ended_with_answer);
  EXPECT_DOUBLE_EQ(f.score, 0.5);
}

TEST(FormatScore, AllBrokenScoresZero) {
  std::vector<TurnShape> t = {kBroken, kBroken};
  EXPECT_DOUBLE_EQ(format_score(t).score, 0.0);
}

TEST(FormatScore, WeightsAreConfigurable) {
  RewardOptions o;
  o.turn_weight = 2;
  o.answer_weight = 1;
  std::vector<TurnShape> t = {kBroken, kAnswer};
  EXPECT_DOUBLE_EQ(format_score(t, o).score, 2.0 * 1 / 2 + 1);
  std::vector<TurnShape> exact = {kAnswer};
  EXPECT_DOUBLE_EQ(format_score(exact, o).score, 3.0);
}

TEST(Reward, FormatPlusAlphaOverOzMinusToolCost) {
  std::vector<TurnShape> t = {kCall, kAnswer};
  auto f = format_score(t);
  auto r = compute_reward(f, 0.05, 1);
  EXPECT_DOUBLE_EQ(r.answer, 1.5);  // 30 x 0.05
  EXPECT_DOUBLE_EQ(r.total, 3.0);
  // Negative OverOz is not clipped (paper §3.3).
  EXPECT_DOUBLE_EQ(compute_reward(f, -0.02, 1).total, 1.5 - 0.6);
  RewardOptions o;
  o.alpha = 10;
  o.tool_call_cost = 0.1;
  auto c = compute_reward(f, 0.05, 3, o);
  EXPECT_DOUBLE_EQ(c.tool_cost, 0.3);
  EXPECT_DOUBLE_EQ(c.total, 1.5 + 0.5 - 0.3);
}

}  // namespace
}  // namespace cr1::agent
