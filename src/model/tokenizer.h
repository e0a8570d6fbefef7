// A byte-level BPE tokenizer read from an HF `tokenizer.json`, as Qwen2 uses it: added tokens cut out
// first (leftmost-longest), then the normalizer (NFC), the pre-tokenizer's split regex (PCRE2), the
// byte-level alphabet and ranked merges. encode() and decode() give the same ids and text as HF
// tokenizers' encode(text, add_special_tokens=True) and decode(ids, skip_special_tokens).
//
// What is understood of tokenizer.json (anything else is refused with a message naming it):
//   normalizer      null, NFC/NFD/NFKC/NFKD, or a Sequence of those
//   pre_tokenizer   ByteLevel, or a Sequence of Split (Regex or String pattern, behaviour Isolated,
//                   not inverted) stages followed by ByteLevel (use_regex adds GPT-2's split regex;
//                   add_prefix_space only when ByteLevel is the sole pre-tokenizer)
//   model           BPE without dropout, subword prefix/suffix or byte fallback; merges as "a b"
//                   strings or [a, b] lists; unk_token, fuse_unk and ignore_merges honoured
//   decoder         null or ByteLevel;  post_processor  null or ByteLevel (adds no ids)
//   added_tokens    id, content, single_word, lstrip, rstrip, normalized, special
// Torch-free: other layers may include this header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer_added_vocab.h"
#include "model/unicode_normalizer.h"
#include "util/expected.h"

namespace cr1::model {

struct EncodeOptions {
  // Special tokens in the text are encoded as text instead of as their ids (HF's
  // encode_special_tokens): for untrusted text that must not inject <|im_end|>.
  bool split_special_tokens = false;
};

// How words are merged (tokenizer_bpe.h): the normal path, the same without the word cache, HF's
// heap algorithm for every word, and the O(n^2) reference; all give the same ids.
enum class BpeAlgorithm { cached, uncached, heap, naive };

class Tokenizer {
 public:
  // `path` is a tokenizer.json or a directory holding one.
  static Expected<Tokenizer> load(const std::filesystem::path& path);
  // `origin` names the source in error messages.
  static Expected<Tokenizer> from_json(std::string_view json_text, const std::string& origin = "tokenizer.json");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Text -> ids. Invalid UTF-8 in `text` is first replaced by U+FFFD (the text HF would be given by
  // Python after bytes.decode(errors="replace")). Thread-safe.
  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;
  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options, BpeAlgorithm algorithm) const;

  // Ids -> text. Ids that are no token are skipped (as HF does; a model's embedding is often padded
  // past the vocabulary); bytes that do not form UTF-8 become U+FFFD.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  // The bytes `id` contributes to decoded text (possibly part of a UTF-8 sequence); empty when the id
  // is no token.
  std::string_view token_bytes(int32_t id) const;
  // An added token's content or the model's byte-level token string.
  std::optional<std::string> id_to_token(int32_t id) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  bool is_special(int32_t id) const;
  bool is_added(int32_t id) const;

  // One past the largest id.
  int32_t vocab_size() const;
  size_t merge_count() const;
  const std::vector<AddedToken>& added_tokens() const;
  NormalForm normal_form() const;
  // The split regex patterns, in order (Qwen2: one).
  std::vector<std::string> split_patterns() const;

  // Forgets the cached words of every thread; not while another thread encodes (benchmarks use it).
  void clear_cache() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cr1::model
