// Batched autoregressive generation with a KV cache: left-padded prompts, one prefill, then one token
// per step for every unfinished sequence; finished ones are dropped from the batch (and the cache) so
// the rest run at the size they need. Torch header: model/ and train/ only.
#pragma once

#include <vector>

#include "model/generation_options.h"
#include "model/qwen2_model.h"

namespace cr1::model {

class PrefixCache;

// Throws c10::Error on torch failures and std::invalid_argument on bad input (empty prompt, a prompt
// plus max_new_tokens past the model's positions, stop strings without a decoder);
// LanguageModel::generate turns both into errors.
//
// With a prefix cache, each prompt starts from its longest cached prefix and prefills the rest alone
// (batch 1), the rows are merged for the decode steps, and each row's keys/values go back to the cache
// when it finishes; results equal those without the cache up to the rounding of differently shaped
// matrix products, and report cached_tokens.
std::vector<GenerationResult> generate(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                       const GenerationOptions& options, const DecodeFn& decode = {},
                                       PrefixCache* prefix = nullptr);

// Each prompt with its own options (sampling, seed, limits, stops; on_token gets the prompt's index).
// A row's sampler draws from its own generator seeded with its own seed, so a row's tokens are what it
// would get alone, whatever else shares the batch (up to the rounding of batched kernels); one row
// gives exactly what generate() gives. pad_token_id comes from options[0]. Same errors as generate().
std::vector<GenerationResult> generate_rows(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                            const std::vector<GenerationOptions>& options, const DecodeFn& decode = {},
                                            PrefixCache* prefix = nullptr);

}  // namespace cr1::model
