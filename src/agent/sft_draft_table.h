// The n-gram draft table of a policy (model/ngram_drafter.h) from its SFT trajectories: the assistant
// turns, tokenized as the model writes them, are the text whose phrases the fine-tuned model repeats
// -- the think templates, the tool-call JSON, the coreset's pass sequences. Saved in the model folder
// as ngram_drafts.bin, ModelPolicy drafts from it (speculative decoding; same tokens, fewer forwards).
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "model/ngram_drafter.h"
#include "util/expected.h"

namespace cr1::model {
class Tokenizer;
}

namespace cr1::agent {

struct SftDraftTableOptions {
  model::NgramDrafterOptions ngrams;
  size_t max_trajectories = 0;  // 0: all; else the first N records over the files, in order
};

struct SftDraftTable {
  model::NgramDrafter drafter;
  size_t trajectories = 0, turns = 0, tokens = 0;
};

// Reads episode records (JSONL with "messages", as `agent make-sft` writes them). A line that is not
// such a record is an invalid_input error naming the file and line.
Expected<SftDraftTable> build_sft_draft_table(const std::vector<std::filesystem::path>& files,
                                              const model::Tokenizer& tokenizer, const SftDraftTableOptions& options);

}  // namespace cr1::agent
