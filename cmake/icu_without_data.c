/* CR1_STATIC_LLVM without CR1_STATIC_ICU_DATA: stands in for ICU's common data (icudt<major>_dat, 30 MB in
   libicudata.a, 7 MB with xz) that libicuuc.a refers to. ICU rejects this block as data (its header has no
   magic bytes), so services that need data fail with U_INVALID_FORMAT_ERROR; what the tokenizer uses, the
   NFC/NFD normalizers and character properties, is built into libicuuc itself. NFKC/NFKD need the data. */
#include <unicode/uvernum.h>

#define CR1_ICU_CAT(a, b, c) a##b##c
#define CR1_ICU_DATA_SYMBOL(major) CR1_ICU_CAT(icudt, major, _dat)

const double CR1_ICU_DATA_SYMBOL(U_ICU_VERSION_MAJOR_NUM)[8] = {0};
