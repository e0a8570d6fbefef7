// Counting tokens for the episode limits (tokens per turn and per episode) and the records. The
// counter is a plain function: an estimate by default, or exact from a BPE tokenizer
// (src/model/tokenizer.h, e.g. Qwen2's tokenizer.json: `--tokenizer FILE`, or the built-in model's own).
// A policy may also report exact counts of its own turns (the model's ids, an endpoint's usage).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "util/expected.h"

namespace cr1::model {
class Tokenizer;
}

namespace cr1::agent {

using TokenCounter = std::function<size_t(std::string_view)>;

// An estimate in the spirit of Qwen2's pre-tokenizer: every digit is one token (Qwen2 splits
// numbers into digits), a run of letters about one token per 4 bytes, punctuation about one per 2
// bytes, and a run of whitespace one token at most. A rough estimate (not yet compared with the real
// tokenizer): good enough for limits, not for training.
size_t approximate_token_count(std::string_view text);

TokenCounter approximate_token_counter();

// Exact counts: the number of ids `tokenizer` encodes the text to (special tokens such as <|im_start|>
// count as one, as the model sees them).
TokenCounter tokenizer_token_counter(std::shared_ptr<const model::Tokenizer> tokenizer);
// The same from a tokenizer.json (or a folder holding one); a clear error when it cannot be read.
Expected<TokenCounter> tokenizer_token_counter(const std::filesystem::path& tokenizer_json);

}  // namespace cr1::agent
