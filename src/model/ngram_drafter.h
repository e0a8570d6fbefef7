// Speculative drafts from the n-gram statistics of what a model was trained to write (retrieval-based
// drafting, after REST: He et al., "REST: Retrieval-Based Speculative Decoding", NAACL 2024). Why: a
// fine-tuned agent policy writes the phrases of its training trajectories -- the think templates, the
// JSON of a tool call, the pass sequences of the coreset -- which its own conversation does not yet hold
// (prompt lookup, model/prompt_lookup.h, only copies from the conversation). The draft is a greedy walk:
// the most frequent next token after the sequence's last n tokens (the longest n the table knows),
// appended, and again. One forward checks the whole draft; the output is what plain decoding gives.
// No torch: token ids only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/generation_options.h"
#include "util/expected.h"

namespace cr1::model {

struct NgramDrafterOptions {
  int64_t max_ngram = 4;  // contexts of min_ngram..max_ngram tokens; a longer known context wins
  int64_t min_ngram = 2;
  int64_t min_count = 2;  // a context seen fewer times (with its most frequent next token) is dropped
};

class NgramDrafter {
 public:
  NgramDrafter() = default;
  // From the token sequences the model writes (e.g. the assistant turns of the SFT trajectories).
  static NgramDrafter build(std::span<const std::vector<TokenId>> sequences, const NgramDrafterOptions& options = {});

  // Up to max_draft tokens; empty when the sequence's last min_ngram tokens are unknown.
  std::vector<TokenId> draft(std::span<const TokenId> sequence, int64_t max_draft) const;

  // A small binary file (little-endian), written atomically; load refuses another format with a
  // one-line invalid_input error naming the file.
  Status save(const std::filesystem::path& file) const;
  static Expected<NgramDrafter> load(const std::filesystem::path& file);

  size_t size() const { return next_.size(); }
  int64_t max_ngram() const { return max_ngram_; }
  int64_t min_ngram() const { return min_ngram_; }

 private:
  struct Next {
    TokenId token;
    uint32_t count;
  };
  // Key: the context's token ids as raw bytes (4 per token): short enough for the small-string buffer.
  std::unordered_map<std::string, Next> next_;
  int64_t max_ngram_ = 0, min_ngram_ = 0;
};

}  // namespace cr1::model
