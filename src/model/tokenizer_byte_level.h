// The byte-level alphabet of GPT-2-style BPE (HF `ByteLevel` pre-tokenizer/decoder): each of the 256
// byte values is shown as one printable Unicode character, so that tokens are strings. Printable bytes
// 33..126, 161..172 and 174..255 stand for themselves; the other 68 bytes map to U+0100.. in byte
// order (GPT-2's bytes_to_unicode, which Qwen2's tokenizer.json follows: space is "Ġ", newline "Ċ").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cr1::model {

// The character standing for byte `b`.
char32_t byte_level_char(uint8_t b);
// UTF-8 of the character standing for each byte.
const std::array<std::string, 256>& byte_level_utf8();
// The byte a character stands for, or -1 when it is not in the alphabet.
int byte_level_byte(char32_t c);

// Raw bytes -> byte-level string.
std::string to_byte_level(std::string_view bytes);
// Byte-level string (valid UTF-8) -> raw bytes; nullopt when a character is outside the alphabet.
std::optional<std::string> from_byte_level(std::string_view text);

}  // namespace cr1::model
