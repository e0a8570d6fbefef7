#include "model/tokenizer_byte_level.h"

#include "model/unicode_utf8.h"

namespace cr1::model {
namespace {

struct Tables {
  std::array<char32_t, 256> chars{};
  std::array<std::string, 256> utf8;
  std::array<int16_t, 324> bytes{};  // every character of the alphabet is below U+0144
  Tables() {
    bytes.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      chars[b] = printable ? static_cast<char32_t>(b) : next++;
      bytes[chars[b]] = static_cast<int16_t>(b);
      append_utf8(utf8[b], chars[b]);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_level_char(uint8_t b) { return tables().chars[b]; }
const std::array<std::string, 256>& byte_level_utf8() { return tables().utf8; }

int byte_level_byte(char32_t c) { return c < tables().bytes.size() ? tables().bytes[c] : -1; }

std::string to_byte_level(std::string_view bytes) {
  const auto& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.utf8[static_cast<uint8_t>(c)];
  return out;
}

std::optional<std::string> from_byte_level(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    int b = byte_level_byte(next_code_point(text, pos));
    if (b < 0) return std::nullopt;
    out += static_cast<char>(b);
  }
  return out;
}

}  // namespace cr1::model
