#include "model/tokenizer_added_vocab.h"

#include <algorithm>
#include <cstring>

#include <unicode/uchar.h>

#include "model/unicode_utf8.h"

namespace cr1::model {
namespace {

// Rust's char::is_alphanumeric (Alphabetic or Numeric), which HF's single_word check uses, plus '_'.
bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (u_isUAlphabetic(static_cast<UChar32>(c))) return true;
  int8_t t = u_charType(static_cast<UChar32>(c));
  return t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens, std::vector<std::string> patterns)
    : tokens_(std::move(tokens)), patterns_(std::move(patterns)), by_first_byte_(256) {
  for (uint32_t i = 0; i < tokens_.size(); ++i) {
    if (patterns_[i].empty()) continue;
    auto b = static_cast<uint8_t>(patterns_[i][0]);
    by_first_byte_[b].push_back(i);
    first_byte_[b] = true;
  }
  for (auto& v : by_first_byte_)
    std::stable_sort(v.begin(), v.end(), [&](uint32_t a, uint32_t b) { return patterns_[a].size() > patterns_[b].size(); });
}

void AddedTokenMatcher::split(std::string_view text, bool split_special, std::vector<TextSegment>& out) const {
  size_t text_start = 0;  // where the current plain-text segment begins
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    // Longest pattern that starts here.
    const AddedToken* hit = nullptr;
    size_t hit_len = 0;
    for (uint32_t i : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
      const std::string& p = patterns_[i];
      if (p.size() <= n - pos && std::memcmp(text.data() + pos, p.data(), p.size()) == 0) {
        hit = &tokens_[i];
        hit_len = p.size();
        break;
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + hit_len;
    if (split_special && hit->special) {
      pos = stop;  // as HF: skipped, and the search goes on after it
      continue;
    }
    if (hit->single_word) {
      bool left_ok = start == 0 || !is_word_char(code_point_before(text, start));
      size_t p = stop;
      bool right_ok = stop == n || !is_word_char(next_code_point(text, p));
      if (!left_ok || !right_ok) {
        pos = stop;
        continue;
      }
    }
    if (hit->lstrip) {
      while (start > text_start) {
        size_t prev = start - 1;
        while (prev > text_start && (static_cast<uint8_t>(text[prev]) & 0xC0) == 0x80) --prev;
        size_t q = prev;
        if (!is_unicode_white_space(next_code_point(text, q))) break;
        start = prev;
      }
    }
    if (hit->rstrip) {
      while (stop < n) {
        size_t q = stop;
        if (!is_unicode_white_space(next_code_point(text, q))) break;
        stop = q;
      }
    }
    if (start > text_start) out.push_back({text_start, start, -1});
    out.push_back({start, stop, hit->id});
    text_start = pos = stop;
  }
  if (text_start < n) out.push_back({text_start, n, -1});
}

}  // namespace cr1::model
