#include "model/unicode_utf8.h"

namespace cr1::model {
namespace {

// Length of a well-formed sequence starting with `lead`, and the range its second byte must be in
// (Unicode Table 3-7, "Well-Formed UTF-8 Byte Sequences"); 0 for a byte that cannot start one.
struct LeadInfo {
  uint8_t length;
  uint8_t lo, hi;  // allowed second byte
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

enum class SeqStatus { ok, invalid, incomplete };

// Checks the sequence at `pos`; `len` is its length when ok, else the maximal subpart's length.
SeqStatus check_sequence(std::string_view s, size_t pos, size_t& len) {
  auto lead = static_cast<uint8_t>(s[pos]);
  LeadInfo info = lead_info(lead);
  if (info.length == 0) {
    len = 1;
    return SeqStatus::invalid;
  }
  for (size_t j = 1; j < info.length; ++j) {
    if (pos + j >= s.size()) {
      len = j;
      return SeqStatus::incomplete;
    }
    auto b = static_cast<uint8_t>(s[pos + j]);
    uint8_t lo = j == 1 ? info.lo : 0x80, hi = j == 1 ? info.hi : 0xBF;
    if (b < lo || b > hi) {
      len = j;
      return SeqStatus::invalid;
    }
  }
  len = info.length;
  return SeqStatus::ok;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  size_t i = 0, n = bytes.size();
  while (i < n) {
    // ASCII runs, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, bytes.data() + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<uint8_t>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    if (check_sequence(bytes, i, len) != SeqStatus::ok) return false;
    i += len;
  }
  return true;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t next_code_point(std::string_view s, size_t& pos) {
  auto b0 = static_cast<uint8_t>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t len = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  char32_t cp = b0 & (0x7F >> len);
  for (size_t j = 1; j < len; ++j) cp = (cp << 6) | (static_cast<uint8_t>(s[pos + j]) & 0x3F);
  pos += len;
  return cp;
}

char32_t code_point_before(std::string_view s, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
  return next_code_point(s, start);
}

size_t append_utf8_lossy(std::string& out, std::string_view bytes, bool final) {
  size_t i = 0, n = bytes.size(), run = 0;  // [run, i) is valid and not yet copied
  while (i < n) {
    if (static_cast<uint8_t>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    SeqStatus st = check_sequence(bytes, i, len);
    if (st == SeqStatus::ok) {
      i += len;
      continue;
    }
    out.append(bytes.data() + run, i - run);
    if (st == SeqStatus::incomplete && !final) return i;
    out += kReplacementCharacter;
    i += len;
    run = i;
  }
  out.append(bytes.data() + run, n - run);
  return n;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_utf8_lossy(out, bytes, true);
  return out;
}

bool is_unicode_white_space(char32_t c) {
  // The White_Space property (Unicode PropList.txt).
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

}  // namespace cr1::model
