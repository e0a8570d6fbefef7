// Incremental decoding for generation: ids arrive one at a time, and a token may end in the middle of
// a UTF-8 sequence (byte-level BPE splits characters freely). The decoder emits only complete UTF-8 and
// keeps an incomplete tail until the bytes that complete it arrive; bytes that can never form a
// character become U+FFFD at once. The concatenation of everything push() and finish() return equals
// Tokenizer::decode of all the ids.
#pragma once

#include <cstdint>
#include <string>

namespace cr1::model {

class Tokenizer;

class StreamDecoder {
 public:
  // `tokenizer` must outlive the decoder.
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);

  // The text completed by `id` (often empty mid-character).
  std::string push(int32_t id);
  // Ends the stream: an incomplete tail becomes U+FFFD.
  std::string finish();
  // Bytes held back, waiting for the rest of a character.
  size_t pending_bytes() const { return pending_.size(); }
  void reset() { pending_.clear(); }

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace cr1::model
