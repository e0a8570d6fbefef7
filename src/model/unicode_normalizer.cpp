#include "model/unicode_normalizer.h"

#include <stdexcept>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

namespace cr1::model {
namespace {

bool ascii_only(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// Every code point below U+0300 has NFC_Quick_Check=Yes and canonical combining class 0 (UCD
// DerivedNormalizationProps.txt), so such text is already NFC. In UTF-8 those are the bytes < 0xCC.
bool below_u0300(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0xCC) return false;
  return true;
}

const icu::Normalizer2* instance(NormalForm form) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case NormalForm::nfc: n = icu::Normalizer2::getNFCInstance(ec); break;
    case NormalForm::nfd: n = icu::Normalizer2::getNFDInstance(ec); break;
    case NormalForm::nfkc: n = icu::Normalizer2::getNFKCInstance(ec); break;
    case NormalForm::nfkd: n = icu::Normalizer2::getNFKDInstance(ec); break;
    case NormalForm::none: return nullptr;
  }
  // ICU's data is linked in; failing here means a broken installation, not bad input.
  if (U_FAILURE(ec) || !n) throw std::runtime_error(std::string("ICU normalizer unavailable: ") + u_errorName(ec));
  return n;
}

}  // namespace

Expected<NormalForm> parse_normal_form(std::string_view t) {
  if (t == "NFC") return NormalForm::nfc;
  if (t == "NFD") return NormalForm::nfd;
  if (t == "NFKC") return NormalForm::nfkc;
  if (t == "NFKD") return NormalForm::nfkd;
  return make_error(ErrorKind::invalid_input, "unsupported normalizer type '" + std::string(t) + "'");
}

const char* normal_form_name(NormalForm form) {
  switch (form) {
    case NormalForm::none: return "none";
    case NormalForm::nfc: return "NFC";
    case NormalForm::nfd: return "NFD";
    case NormalForm::nfkc: return "NFKC";
    case NormalForm::nfkd: return "NFKD";
  }
  return "?";
}

bool needs_normalization(std::string_view utf8, NormalForm form) {
  if (form == NormalForm::none || ascii_only(utf8)) return false;
  return !(form == NormalForm::nfc && below_u0300(utf8));
}

std::string normalize(std::string_view utf8, NormalForm form) {
  if (!needs_normalization(utf8, form)) return std::string(utf8);
  const icu::Normalizer2* n = instance(form);
  UErrorCode ec = U_ZERO_ERROR;
  icu::StringPiece piece(utf8.data(), static_cast<int32_t>(utf8.size()));
  if (n->isNormalizedUTF8(piece, ec) && U_SUCCESS(ec)) return std::string(utf8);
  ec = U_ZERO_ERROR;
  std::string out;
  out.reserve(utf8.size() + utf8.size() / 4);
  icu::StringByteSink<std::string> sink(&out);
  n->normalizeUTF8(0, piece, sink, nullptr, ec);
  if (U_FAILURE(ec)) throw std::runtime_error(std::string("ICU normalization failed: ") + u_errorName(ec));
  return out;
}

}  // namespace cr1::model
