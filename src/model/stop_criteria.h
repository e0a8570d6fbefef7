// When a sequence is done: a stop token id, or a stop string appearing in the decoded output. The
// string check decodes only a window of the newest tokens, enough to hold any stop string, so each step
// costs the same however long the output grows. Torch-free.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/generation_options.h"

namespace cr1::model {

struct StopMatch {
  FinishReason reason = FinishReason::stop_token;
  std::string stop;  // the stop string, for stop_string
};

class StopCriteria {
 public:
  // Without a decode function, stop strings cannot be matched: stop_strings must then be empty.
  StopCriteria(std::vector<std::string> stop_strings, std::vector<TokenId> stop_token_ids, DecodeFn decode);

  // `generated`: the new tokens of one sequence so far, the last one just sampled. A stop string counts
  // once the decoded output contains it (it may end inside the last token's text).
  std::optional<StopMatch> check(std::span<const TokenId> generated) const;

 private:
  std::vector<std::string> strings_;
  std::vector<TokenId> ids_;
  DecodeFn decode_;
  size_t window_ = 0;  // tokens decoded per check
};

}  // namespace cr1::model
