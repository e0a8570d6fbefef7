// Saving a trained vocabulary in the HF layout, so that HF tokenizers/transformers (AutoTokenizer) and
// Tokenizer::load read it:
//   tokenizer.json         the fast tokenizer, shaped like Qwen2's (NFC, Split regex + ByteLevel,
//                          ByteLevel decoder); merges as "a b" strings, which every tokenizers version
//                          reads (byte-level tokens hold no space)
//   tokenizer_config.json  Qwen2Tokenizer, eos <|im_end|>, pad <|endoftext|>, the ChatML chat template
//   vocab.json, merges.txt the same vocabulary for the slow (Python) Qwen2Tokenizer
#pragma once

#include <filesystem>
#include <string>

#include "model/bpe_trainer.h"
#include "util/expected.h"

namespace cr1::model {

std::string tokenizer_json(const BpeVocabulary& vocab);
std::string tokenizer_config_json(const BpeVocabulary& vocab);

// Writes the four files into `dir` (created if missing), each atomically.
Status save_tokenizer(const BpeVocabulary& vocab, const std::filesystem::path& dir);

}  // namespace cr1::model
