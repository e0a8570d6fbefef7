#include "model/tokenizer_split_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace cr1::model {
namespace {

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* m) const { pcre2_match_context_free(m); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* s) const { pcre2_jit_stack_free(s); }
};

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return reinterpret_cast<const char*>(buf);
}

// Per-thread JIT stack: the default 32 KiB can run out on long runs of one class (e.g. `\s+(?!\S)`
// over megabytes of spaces); 8 MiB is only reserved, and pages are touched on demand.
pcre2_match_context* thread_match_context() {
  thread_local std::unique_ptr<pcre2_jit_stack, JitStackDeleter> stack(pcre2_jit_stack_create(64 << 10, 8 << 20, nullptr));
  thread_local std::unique_ptr<pcre2_match_context, MatchContextDeleter> context([] {
    pcre2_match_context* c = pcre2_match_context_create(nullptr);
    return c;
  }());
  thread_local bool assigned = false;
  if (!assigned && context && stack) {
    pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
    assigned = true;
  }
  return context.get();
}

}  // namespace

struct SplitRegex::Impl {
  std::string pattern;
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  bool jit = false;
};

SplitRegex::SplitRegex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SplitRegex::SplitRegex(SplitRegex&&) noexcept = default;
SplitRegex& SplitRegex::operator=(SplitRegex&&) noexcept = default;
SplitRegex::~SplitRegex() = default;

const std::string& SplitRegex::pattern() const { return impl_->pattern; }
bool SplitRegex::jit() const { return impl_->jit; }

Expected<SplitRegex> SplitRegex::compile(std::string_view pattern, bool literal) {
  auto impl = std::make_unique<Impl>();
  impl->pattern = std::string(pattern);
  int err = 0;
  PCRE2_SIZE offset = 0;
  uint32_t flags = PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0);
  impl->code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), flags, &err, &offset,
                                 nullptr));
  if (!impl->code)
    return make_error(ErrorKind::parse, "split regex: " + pcre2_message(err) + " at offset " + std::to_string(offset) +
                                            " of '" + std::string(pattern) + "'");
  uint32_t has_jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &has_jit);
  // Without a JIT (some architectures) the interpreter gives the same matches, only slower.
  if (has_jit) impl->jit = pcre2_jit_compile(impl->code.get(), PCRE2_JIT_COMPLETE) == 0;
  return SplitRegex(std::move(impl));
}

Status SplitRegex::split(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(pcre2_match_data_create_from_pattern(impl_->code.get(), nullptr));
  if (!md) return make_error(ErrorKind::internal, "split regex: out of memory");
  pcre2_match_context* ctx = thread_match_context();
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0, last = 0;  // next search start; end of the last piece
  while (pos <= text.size()) {
    // The caller guarantees valid UTF-8, so PCRE2 need not check it again on every call.
    int rc = impl_->jit ? pcre2_jit_match(impl_->code.get(), subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md.get(), ctx)
                        : pcre2_match(impl_->code.get(), subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md.get(), ctx);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) return make_error(ErrorKind::internal, "split regex: match failed: " + pcre2_message(rc));
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    size_t b = ov[0], e = ov[1];
    if (e == b) {
      // Empty match: move on by one character.
      if (b >= text.size()) break;
      pos = b + 1;
      while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (b > last) pieces.emplace_back(last, b);
    pieces.emplace_back(b, e);
    last = pos = e;
  }
  if (last < text.size()) pieces.emplace_back(last, text.size());
  return ok_status();
}

}  // namespace cr1::model
