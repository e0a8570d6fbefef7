// Unicode normalization for the tokenizer's HF `normalizer` (Qwen2 uses NFC). Backed by ICU (libicu,
// already on every machine through libxml2-dev): the Unicode Consortium's own implementation, kept in
// step with each Unicode version, with a native UTF-8 path (Normalizer2::normalizeUTF8).
#pragma once

#include <string>
#include <string_view>

#include "util/expected.h"

namespace cr1::model {

enum class NormalForm { none, nfc, nfd, nfkc, nfkd };

// "NFC" -> nfc, ...; an unknown name is an error naming it.
Expected<NormalForm> parse_normal_form(std::string_view hf_type);
const char* normal_form_name(NormalForm form);

// Normalizes valid UTF-8. Text that is already normalized is returned unchanged without ICU work
// when it is ASCII, or (for NFC) when all code points are below U+0300, none of which compose or
// decompose under NFC.
std::string normalize(std::string_view utf8, NormalForm form);

// False when normalize() would return the text unchanged by the cheap checks above (no copy needed);
// true means it may change.
bool needs_normalization(std::string_view utf8, NormalForm form);

}  // namespace cr1::model
