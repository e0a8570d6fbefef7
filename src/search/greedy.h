// Greedy search, CompilerGym style: from the empty sequence, try every action
// appended to the current sequence (one batch of |space| candidates) and keep
// the best one while it strictly lowers the count.
#pragma once

#include <optional>
#include <vector>

#include "search/tuner.h"

namespace cr1::search {

// What one round did, so tests and reports can see why greedy stopped.
struct GreedyRound {
  uint64_t before = 0;                   // count of the sequence the round extended
  size_t evaluated = 0;                  // candidates charged to the budget this round
  std::optional<uint64_t> best_count;    // best candidate count, if any succeeded
  int best_action = -1;                  // its action index
  bool accepted = false;                 // best_count < before: the action was appended
};

class GreedySearch final : public Tuner {
 public:
  std::string name() const override;
  void search(SearchContext& ctx) override;

  // The rounds of the last search() call.
  const std::vector<GreedyRound>& rounds() const { return rounds_; }

 private:
  std::vector<GreedyRound> rounds_;
};

}  // namespace cr1::search
