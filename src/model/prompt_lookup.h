// Prompt-lookup drafting for speculative decoding (Saxena's "prompt lookup decoding", as HF generate's
// prompt_lookup_num_tokens does): the next tokens are guessed by finding the sequence's last n tokens
// earlier in the sequence (prompt + output so far) and copying what followed them there. An agent turn
// repeats much of its context -- the answer repeats the pass list of a tool call, a think block the
// numbers of a tool response -- so such guesses are often right, and one forward over the guesses
// checks them all (model/generation.cpp). No model, no torch: only token ids.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/generation_options.h"

namespace cr1::model {

// Up to `max_draft` tokens following the most recent earlier occurrence of the last n tokens of
// `sequence`, trying n = max_ngram down to min_ngram (a longer match first); empty when nothing matches.
std::vector<TokenId> prompt_lookup_draft(std::span<const TokenId> sequence, int64_t max_ngram, int64_t max_draft,
                                         int64_t min_ngram = 1);

}  // namespace cr1::model
