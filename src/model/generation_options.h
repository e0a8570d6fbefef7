// What to generate and how: sampling settings, stops and limits, and what comes back. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cr1::model {

using TokenId = int32_t;
class NgramDrafter;

// Turns token ids into text; stop strings are matched on it. The tokenizer's decode, passed in so the
// model does not depend on a tokenizer.
using DecodeFn = std::function<std::string(std::span<const TokenId>)>;

// Applied in HF generate's order: repetition penalty, temperature, top-k, top-p, then one seeded draw.
struct SamplingOptions {
  bool greedy = false;              // argmax instead of a draw (temperature, top-k, top-p then don't matter)
  double temperature = 1.0;         // <= 0 means greedy
  int64_t top_k = 0;                // 0: off
  double top_p = 1.0;               // 1: off
  double repetition_penalty = 1.0;  // HF: logits of tokens seen in prompt or output, / p if > 0, * p if < 0
};

struct GenerationOptions {
  int64_t max_new_tokens = 256;
  SamplingOptions sampling;
  // e.g. "</tool_call>", "</answer>", "<|im_end|>"; needs a DecodeFn. Matched on the decoded text, so a
  // special token only matches if the DecodeFn keeps special tokens; its id in stop_token_ids always does.
  std::vector<std::string> stop_strings;
  std::vector<TokenId> stop_token_ids;  // e.g. the config's eos ids
  uint64_t seed = 0;                      // the same seed, prompts and options give the same tokens
  // Called with (prompt index, token) for every new token as soon as it is sampled, in order per
  // prompt, e.g. to stream it; runs on the generating thread between steps.
  std::function<void(size_t, TokenId)> on_token;
  TokenId pad_token_id = 0;               // fills the left padding (never attended to)
  // Teacher forcing: when not empty, step k emits forced_tokens[k] instead of the draw. The step still
  // runs the forward and the sampling chain (the draw is discarded), so it costs what generating the
  // same text costs; stops apply as usual, and running out of forced tokens ends with `length`. For
  // measuring an episode of a known trajectory (bench/agent_episode).
  std::vector<TokenId> forced_tokens;
  // Prompt-lookup speculative decoding (model/prompt_lookup.h): > 0 drafts up to this many tokens (the
  // length adapts: +2 after all drafts were accepted, -1 after a rejection, from min(4, this)) by
  // matching the sequence's last n-gram (n <= lookup_max_ngram) earlier in it, and checks them in one
  // forward over the drafts; 0: one forward per token. The output is what plain decoding gives: each
  // position's token is chosen from that position's logits exactly as without drafts (greedy, or one
  // draw from the row's generator per emitted token, in order, so the random stream is consumed as
  // without drafts), a draft is kept only while it equals the chosen token, and the keys/values of the
  // rejected drafts are dropped. Equal up to the rounding of a (k+1)-row forward against 1-row ones.
  // Applies while one sequence is being decoded (a batch of several decodes one token per step).
  // With forced_tokens, the forced token is the choice: drafts count as accepted where they equal it,
  // so the forwards are those a model producing the forced text would need.
  int64_t lookup_draft_tokens = 0;
  int64_t lookup_max_ngram = 3;
  int64_t lookup_min_ngram = 1;  // a shorter match drafts nothing
  // With lookup_draft_tokens > 0: drafts from the n-gram statistics of the model's training text
  // (model/ngram_drafter.h) first, prompt lookup where the table knows nothing. Same output.
  std::shared_ptr<const NgramDrafter> ngram_drafter;
};

enum class FinishReason { length, stop_token, stop_string };
const char* finish_reason_name(FinishReason r);  // "length", "stop_token", "stop_string"

struct GenerationResult {
  std::vector<TokenId> tokens;  // new tokens only; the stop token / the tokens spelling the stop string included
  FinishReason finish = FinishReason::length;
  std::string stop;             // the stop string that matched (finish == stop_string)
  // Wall time of the prompt forward of the batch this sequence was in (shared with the batch), and of
  // the decode steps (forward + sampling) while it was unfinished.
  double prefill_seconds = 0;
  double decode_seconds = 0;
  // Prompt tokens whose keys/values came from the prefix cache instead of the prefill
  // (RuntimeOptions::prefix_cache_bytes; as OpenAI's usage.prompt_tokens_details.cached_tokens).
  int64_t cached_tokens = 0;
  // Forward passes of the decode steps (the prefill not counted): tokens.size() - 1 at most without
  // speculative decoding (the last token is never run), fewer when drafts are accepted.
  int64_t decode_forwards = 0;
  int64_t drafted_tokens = 0;   // prompt-lookup drafts checked
  int64_t accepted_tokens = 0;  // ... that were the chosen tokens (emitted without a forward of their own)
};

}  // namespace cr1::model
