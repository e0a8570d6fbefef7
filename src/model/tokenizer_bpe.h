// The BPE model of a byte-level tokenizer: a vocabulary of byte-level token strings and ranked merges.
// It encodes one pre-tokenized word (raw bytes) to ids by HF tokenizers' rule: repeatedly apply the
// lowest-ranked merge among adjacent symbols, leftmost first on equal ranks. Since each byte-level
// character stands for exactly one byte, the work is done on raw bytes and no string is converted.
//
// Three implementations of the same rule: encode_word (a sharded cache of recent words in front of the
// heap algorithm, thread-safe), encode_word_uncached (a binary heap over a linked list of symbols,
// O(n log n), as HF's Word::merge_all), and encode_word_naive (rescan all pairs after each merge,
// O(n^2)), kept to check the others and as the benchmark's baseline.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/expected.h"

namespace cr1::model {

struct BpeOptions {
  std::optional<std::string> unk_token;  // id for bytes missing from the vocabulary; else they are dropped
  bool fuse_unk = false;                 // consecutive unknowns become one unk
  bool ignore_merges = false;            // a word that is a token is that token (HF's `ignore_merges`)
  size_t cache_capacity = 1 << 17;       // words kept by encode_word; 0 disables the cache
};

class BpeModel {
 public:
  // `vocab`: byte-level token string and id (ids need not be contiguous); `merges` in rank order, each
  // a pair of tokens whose concatenation must be a token too.
  static Expected<BpeModel> create(const std::vector<std::pair<std::string, int32_t>>& vocab,
                                   const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options);

  BpeModel(BpeModel&&) noexcept;
  BpeModel& operator=(BpeModel&&) noexcept;
  ~BpeModel();

  // Appends the ids of `word` (raw bytes of one pre-tokenized piece) to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
  void encode_word_uncached(std::string_view word, std::vector<int32_t>& out) const;
  void encode_word_naive(std::string_view word, std::vector<int32_t>& out) const;

  // Byte-level token string of `id`; nullptr when the id is not in the vocabulary.
  const std::string* token(int32_t id) const;
  std::optional<int32_t> id(std::string_view token) const;
  // One more than the largest id.
  int32_t id_end() const { return static_cast<int32_t>(tokens_.size()); }
  size_t vocab_size() const { return ids_.size(); }
  size_t merge_count() const { return merges_.size(); }
  const BpeOptions& options() const { return options_; }

  void clear_cache() const;

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  struct Cache;
  BpeModel() = default;
  const Merge* find_merge(int32_t a, int32_t b) const;
  // The initial symbols: one per byte (unknown bytes dropped or mapped to unk); each symbol's byte length.
  void initial_symbols(std::string_view word, std::vector<int32_t>& ids, std::vector<int32_t>* lens) const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  BpeOptions options_;
  std::vector<std::string> tokens_;  // by id; empty where no token (and tokens_present_ tells)
  std::vector<bool> tokens_present_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byte_ids_{};  // -1 when the byte's character is not a token
  int32_t unk_id_ = -1;
  std::unique_ptr<Cache> cache_;
};

}  // namespace cr1::model
