// Mining on a bundled program, checked against `opt` itself: every reported
// effective pass and synergistic pair really satisfies its inequality.
#include "search/synergy/pair_miner.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1::search::synergy {
namespace {

TEST(PairMiner, FindingsHoldUnderOpt) {
  test::TempDir dir;
  auto prog = test::load_or_die(test::example("matrix.c"));
  auto bc = dir.path / "matrix.bc";
  ASSERT_TRUE(ir::write_module(*prog.module, bc).ok());
  auto session = env::Session::create(std::move(prog), {.pool = {.jobs = 2}});
  ASSERT_TRUE(session);
  const auto& space = ActionSpace::size_actions();
  auto s = mine_program(**session, space);

  ASSERT_FALSE(s.effective.empty());
  ASSERT_FALSE(s.pairs.empty());
  EXPECT_EQ(s.evaluations, space.size() * (1 + s.effective.size()));
  auto pipeline = [&](std::vector<std::string> flags) {
    std::vector<std::string> items;
    for (auto& f : flags) items.push_back("--" + f);
    return ir::parse_sequence(items)->pipeline();
  };
  // Each effective B shrinks the program (opt as the reference).
  long base = test::opt_count(bc, "verify");
  ASSERT_EQ(static_cast<uint64_t>(base), s.base_count);
  for (size_t i = 0; i < std::min<size_t>(3, s.effective.size()); ++i)
    EXPECT_LT(test::opt_count(bc, pipeline({s.effective[i]})), base) << s.effective[i];
  // A few pairs, spread over the list: IC(A,B) < IC(B).
  for (size_t i = 0; i < s.pairs.size(); i += std::max<size_t>(1, s.pairs.size() / 4)) {
    auto [a, b] = s.pairs[i];
    EXPECT_LT(test::opt_count(bc, pipeline({a, b})), test::opt_count(bc, pipeline({b}))) << a << " -> " << b;
  }
  // Every B of a pair is effective; a non-pair (A, B) of an effective B is not synergistic.
  std::set<std::string> eff(s.effective.begin(), s.effective.end());
  std::set<std::pair<std::string, std::string>> pairs(s.pairs.begin(), s.pairs.end());
  for (const auto& [a, b] : s.pairs) EXPECT_TRUE(eff.count(b)) << b;
  const std::string& b = s.effective.front();
  auto after_b = (*session)->evaluate(*ir::parse_sequence("--" + b));
  int checked = 0;
  for (size_t ai = 0; ai < space.size() && checked < 5; ++ai) {
    std::string a(space.action(static_cast<int>(ai)).flag);
    if (pairs.count({a, b})) continue;
    auto r = (*session)->evaluate(*ir::parse_sequence(std::vector<std::string>{"--" + a, "--" + b}));
    if (!r.ok()) continue;
    EXPECT_GE(r.instruction_count, after_b.instruction_count) << a << " -> " << b;
    ++checked;
  }
}

}  // namespace
}  // namespace cr1::search::synergy
