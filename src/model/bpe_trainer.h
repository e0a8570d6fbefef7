// Trains a compact byte-level BPE vocabulary (a few thousand tokens) on our own text, with the same
// pipeline the tokenizer encodes with: added tokens cut out (never counted), NFC, Qwen2's split regex,
// then merges learnt over the 256 byte symbols. The result saves as an HF tokenizer.json
// (bpe_trainer_output.h) that HF tokenizers and Tokenizer::load read.
//
// The merge loop keeps pair counts up to date incrementally: a merge touches only the words that hold
// the pair (an index from pair to words), and a lazy max-heap re-queues a pair whose count changed.
// Ties go to the pair of smaller ids (earlier tokens), so the same corpus gives the same vocabulary.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/tokenizer_added_vocab.h"
#include "model/unicode_normalizer.h"
#include "util/expected.h"

namespace cr1::model {

// The pre-tokenizer split of Qwen2's tokenizer.json (the training default, so that our vocabulary cuts
// text where Qwen2's does).
inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct AddedTokenSpec {
  std::string content;
  bool special = false;
};

// Qwen2.5's ChatML control tokens (special) and the agent protocol's tags (added, not special: they
// stay in decoded text with skip_special_tokens, as Qwen2.5's <tool_call> does).
std::vector<AddedTokenSpec> default_added_tokens();

struct BpeTrainerOptions {
  size_t vocab_size = 4096;    // all ids: 256 bytes + merges + added tokens
  uint64_t min_frequency = 2;  // a pair seen fewer times is not merged (training may stop early)
  std::string split_pattern = std::string(kQwen2SplitPattern);
  NormalForm normal_form = NormalForm::nfc;
  std::vector<AddedTokenSpec> added_tokens = default_added_tokens();
};

// A trained vocabulary: ids 0..255 are the bytes (in the order of their byte-level characters, as in
// GPT-2 and Qwen2), then the tokens merges made, in merge order, then the added tokens.
struct BpeVocabulary {
  std::vector<std::string> tokens;                  // byte-level strings, by id
  std::vector<std::pair<int32_t, int32_t>> merges;  // in rank order; each makes tokens[a] + tokens[b]
  std::vector<AddedToken> added_tokens;
  std::string split_pattern;
  NormalForm normal_form = NormalForm::nfc;
  size_t size() const { return tokens.size() + added_tokens.size(); }
};

struct BpeTrainingStats {
  uint64_t texts = 0;
  uint64_t bytes = 0;
  uint64_t words = 0;         // pre-tokenized pieces counted
  uint64_t unique_words = 0;  // distinct pieces
  uint64_t added_token_hits = 0;
  uint64_t last_merge_frequency = 0;  // count of the last pair merged
  double count_seconds = 0;
  double merge_seconds = 0;
};

class BpeTrainer {
 public:
  // Refuses a split pattern that does not compile, duplicate or empty added tokens, or a vocab_size
  // too small for the 256 bytes and the added tokens.
  static Expected<BpeTrainer> create(BpeTrainerOptions options);

  BpeTrainer(BpeTrainer&&) noexcept;
  BpeTrainer& operator=(BpeTrainer&&) noexcept;
  ~BpeTrainer();

  // Counts the words of one text (any UTF-8; invalid bytes become U+FFFD).
  Status add_text(std::string_view text);

  // Learns the merges from the words counted so far.
  Expected<BpeVocabulary> train();

  const BpeTrainingStats& stats() const;
  const BpeTrainerOptions& options() const;

 private:
  struct Impl;
  explicit BpeTrainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cr1::model
