// RIO, random iterative optimization: random sequences of length 10-30 until
// the budget is spent (a baseline of the Compiler-R1 paper).
#pragma once

#include "search/tuner.h"

namespace cr1::search {

class RandomSearch final : public Tuner {
 public:
  RandomSearch(size_t min_len = 10, size_t max_len = 30) : min_len_(min_len), max_len_(max_len) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

 private:
  size_t min_len_, max_len_;
};

}  // namespace cr1::search
