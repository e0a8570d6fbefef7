// Added tokens (HF `added_tokens`): strings such as <|im_start|> or <tool_call> that are cut out of the
// text before normalization and pre-tokenization and map to one id each. Matching follows HF
// tokenizers' AddedVocabulary: leftmost-longest, non-overlapping; `single_word` keeps only matches
// not touching word characters; `lstrip`/`rstrip` swallow the white space beside a match; tokens with
// `normalized` false are matched in the raw text, the others in the normalized text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cr1::model {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

// A stretch of text: either plain text (id < 0) or one added token.
struct TextSegment {
  size_t begin = 0, end = 0;
  int32_t id = -1;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // `patterns[i]` is what is searched for `tokens[i]` (its content, normalized when that applies).
  AddedTokenMatcher(std::vector<AddedToken> tokens, std::vector<std::string> patterns);

  bool empty() const { return tokens_.empty(); }

  // Cuts `text` into segments that cover it. With `split_special`, special tokens are left as text
  // (HF's encode_special_tokens / transformers' split_special_tokens).
  void split(std::string_view text, bool split_special, std::vector<TextSegment>& out) const;

 private:
  std::vector<AddedToken> tokens_;
  std::vector<std::string> patterns_;
  std::vector<std::vector<uint32_t>> by_first_byte_;  // indices into tokens_, longest pattern first
  bool first_byte_[256] = {};
};

}  // namespace cr1::model
