#include "model/prompt_lookup.h"

#include <algorithm>

namespace cr1::model {

std::vector<TokenId> prompt_lookup_draft(std::span<const TokenId> sequence, int64_t max_ngram, int64_t max_draft,
                                         int64_t min_ngram) {
  const int64_t size = static_cast<int64_t>(sequence.size());
  if (max_draft <= 0 || size < 2) return {};
  for (int64_t n = std::min(max_ngram, size - 1); n >= std::max<int64_t>(1, min_ngram); --n) {
    const auto tail = sequence.subspan(static_cast<size_t>(size - n));
    // The latest match whose continuation is not the tail itself: start s with s + n < size.
    for (int64_t s = size - n - 1; s >= 0; --s) {
      if (!std::equal(tail.begin(), tail.end(), sequence.begin() + s)) continue;
      const int64_t from = s + n, count = std::min(max_draft, size - from);
      return {sequence.begin() + from, sequence.begin() + from + count};
    }
  }
  return {};
}

}  // namespace cr1::model
