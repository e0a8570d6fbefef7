// UTF-8 helpers for the tokenizer: validation, code point iteration, and the lossy conversion that
// turns arbitrary bytes into valid UTF-8 the way HF tokenizers' decoder does (Rust's
// String::from_utf8_lossy: each maximal ill-formed subpart becomes one U+FFFD, Unicode 15 §3.9 "U+FFFD
// Substitution of Maximal Subparts").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cr1::model {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Appends the UTF-8 encoding of `cp` (which must be a scalar value).
void append_utf8(std::string& out, char32_t cp);

// Decodes the code point at `pos` of valid UTF-8 and advances `pos` past it.
char32_t next_code_point(std::string_view utf8, size_t& pos);

// Decodes the code point that ends at `end` of valid UTF-8 (end > 0).
char32_t code_point_before(std::string_view utf8, size_t end);

// Appends `bytes` to `out` as valid UTF-8, replacing each maximal ill-formed subpart by U+FFFD. When
// `final` is false, a tail that is a valid but incomplete sequence is left out (it may be completed by
// bytes that come later); the return value is the number of bytes consumed, so the caller keeps
// bytes.substr(consumed) for next time. When `final` is true, everything is consumed.
size_t append_utf8_lossy(std::string& out, std::string_view bytes, bool final);

// Whole-string form of append_utf8_lossy(final = true).
std::string utf8_lossy(std::string_view bytes);

// Unicode White_Space (what Rust's char::is_whitespace tests, used by added tokens' lstrip/rstrip).
bool is_unicode_white_space(char32_t cp);

}  // namespace cr1::model
