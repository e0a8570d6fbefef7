#include "agent/token_counter.h"

#include "model/tokenizer.h"

namespace cr1::agent {
namespace {

enum class CharClass { space, digit, letter, punct };

CharClass classify(unsigned char c) {
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return CharClass::space;
  if (c >= '0' && c <= '9') return CharClass::digit;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80) return CharClass::letter;
  return CharClass::punct;
}

}  // namespace

size_t approximate_token_count(std::string_view text) {
  size_t tokens = 0;
  size_t i = 0;
  while (i < text.size()) {
    CharClass k = classify(static_cast<unsigned char>(text[i]));
    size_t j = i + 1;
    while (j < text.size() && classify(static_cast<unsigned char>(text[j])) == k) ++j;
    size_t len = j - i;
    switch (k) {
      case CharClass::space: tokens += (len > 1 || text[i] == '\n') ? 1 : 0; break;  // a single space joins the next word
      case CharClass::digit: tokens += len; break;
      case CharClass::letter: tokens += (len + 3) / 4; break;
      case CharClass::punct: tokens += (len + 1) / 2; break;
    }
    i = j;
  }
  return tokens;
}

TokenCounter approximate_token_counter() { return [](std::string_view s) { return approximate_token_count(s); }; }

TokenCounter tokenizer_token_counter(std::shared_ptr<const model::Tokenizer> tokenizer) {
  return [tokenizer = std::move(tokenizer)](std::string_view s) { return tokenizer->encode(s).size(); };
}

Expected<TokenCounter> tokenizer_token_counter(const std::filesystem::path& tokenizer_json) {
  auto t = model::Tokenizer::load(tokenizer_json);
  if (!t) return t.take_error();
  return tokenizer_token_counter(std::make_shared<const model::Tokenizer>(std::move(*t)));
}

}  // namespace cr1::agent
