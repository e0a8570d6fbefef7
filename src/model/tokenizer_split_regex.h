// The pre-tokenizer's split regex (HF `Split` with a `Regex` pattern and behaviour "Isolated", as in
// Qwen2's tokenizer.json), on PCRE2 with UTF and Unicode properties (PCRE2_UTF | PCRE2_UCP) and the JIT
// when the library has one. PCRE2 stays behind this header.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.h"

namespace cr1::model {

class SplitRegex {
 public:
  // `literal` matches the pattern as plain text (HF's {"String": ...} patterns).
  static Expected<SplitRegex> compile(std::string_view pattern, bool literal = false);

  SplitRegex(SplitRegex&&) noexcept;
  SplitRegex& operator=(SplitRegex&&) noexcept;
  ~SplitRegex();

  // Splits valid UTF-8 into consecutive pieces that cover it: every match is one piece and so is each
  // stretch between matches (HF's SplitDelimiterBehavior::Isolated). Pieces are (begin, end) offsets,
  // appended to `pieces`. An empty match yields no piece.
  Status split(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) const;

  const std::string& pattern() const;
  bool jit() const;

 private:
  struct Impl;
  explicit SplitRegex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cr1::model
