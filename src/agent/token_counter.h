// Counting tokens for the episode limits (tokens per turn and per episode). The counter is a plain
// function so that the BPE tokenizer (src/model/tokenizer.h, Qwen2's tokenizer.json) plugs in as
// `[&](std::string_view s) { return tokenizer.encode(s).size(); }` once it exists; the agent layer
// does not depend on it. An endpoint policy may also report exact counts of its own (usage).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace cr1::agent {

using TokenCounter = std::function<size_t(std::string_view)>;

// An estimate in the spirit of Qwen2's pre-tokenizer: every digit is one token (Qwen2 splits
// numbers into digits), a run of letters about one token per 4 bytes, punctuation about one per 2
// bytes, and a run of whitespace one token at most. A rough estimate (not yet compared with the real
// tokenizer): good enough for limits, not for training.
size_t approximate_token_count(std::string_view text);

TokenCounter approximate_token_counter();

}  // namespace cr1::agent
