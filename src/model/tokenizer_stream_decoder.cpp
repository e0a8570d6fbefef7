#include "model/tokenizer_stream_decoder.h"

#include "model/tokenizer.h"
#include "model/unicode_utf8.h"

namespace cr1::model {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(&tokenizer), skip_special_(skip_special_tokens) {}

std::string StreamDecoder::push(int32_t id) {
  if (skip_special_ && tokenizer_->is_special(id)) return {};
  pending_ += tokenizer_->token_bytes(id);
  std::string out;
  size_t used = append_utf8_lossy(out, pending_, /*final=*/false);
  pending_.erase(0, used);
  return out;
}

std::string StreamDecoder::finish() {
  std::string out;
  append_utf8_lossy(out, pending_, /*final=*/true);
  pending_.clear();
  return out;
}

}  // namespace cr1::model
