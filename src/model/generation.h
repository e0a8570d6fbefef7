// Batched autoregressive generation with a KV cache: left-padded prompts, one prefill, then one token
// per step for every unfinished sequence; finished ones are dropped from the batch (and the cache) so
// the rest run at the size they need. Torch header: model/ and train/ only.
#pragma once

#include <vector>

#include "model/generation_options.h"
#include "model/qwen2_model.h"

namespace cr1::model {

// Throws c10::Error on torch failures and std::invalid_argument on bad input (empty prompt, a prompt
// plus max_new_tokens past the model's positions, stop strings without a decoder);
// LanguageModel::generate turns both into errors.
std::vector<GenerationResult> generate(const Qwen2Model& model, const std::vector<std::vector<TokenId>>& prompts,
                                       const GenerationOptions& options, const DecodeFn& decode = {});

}  // namespace cr1::model
