// The BPE model of a byte-level tokenizer: a vocabulary of byte-level token strings and ranked merges.
// It encodes one pre-tokenized word (raw bytes) to ids by HF tokenizers' rule: repeatedly apply the
// lowest-ranked merge among adjacent symbols, leftmost first on equal ranks. Since each byte-level
// character stands for exactly one byte, the work is done on raw bytes and no string is converted.
//
// Implementations of the same rule: encode_word (a per-thread cache of recent words in front of
// encode_word_uncached), encode_word_uncached (short words: rescan the pairs in place; long words:
// encode_word_heap), encode_word_heap (a binary heap over a linked list of symbols, O(n log n), as
// HF's Word::merge_all), and encode_word_naive (rescan all pairs after each merge into a fresh vector,
// O(n^2)), kept to check the others and as the benchmark's baseline.
#pragma once

#include <array>
#include <cstdint>
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
  bool cache = true;                     // encode_word keeps recent words (per thread, about 2 MiB)
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
  void encode_word_heap(std::string_view word, std::vector<int32_t>& out) const;
  void encode_word_naive(std::string_view word, std::vector<int32_t>& out) const;

  // Byte-level token string of `id`; nullptr when the id is not in the vocabulary.
  const std::string* token(int32_t id) const;
  std::optional<int32_t> id(std::string_view token) const;
  // One more than the largest id.
  int32_t id_end() const { return static_cast<int32_t>(tokens_.size()); }
  size_t vocab_size() const { return ids_.size(); }
  size_t merge_count() const { return merges_.size(); }
  const BpeOptions& options() const { return options_; }

  // Forgets the cached words (in every thread).
  void clear_cache();

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  // Merges by pair of ids: open addressing with linear probing over a power-of-two table. Lookups
  // are the inner loop of every encoder, and std::unordered_map's bucket chains cost a cache miss each.
  class MergeTable {
   public:
    void reserve(size_t n);
    void insert_or_assign(uint64_t key, Merge m);
    const Merge* find(uint64_t key) const;
    size_t size() const { return size_; }

   private:
    static constexpr uint64_t kEmpty = ~0ULL;  // no pair of non-negative ids has this key
    size_t slot(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_); }
    std::vector<uint64_t> keys_;
    std::vector<Merge> values_;
    int shift_ = 64;
    size_t size_ = 0;
  };
  BpeModel() = default;
  const Merge* find_merge(int32_t a, int32_t b) const;
  // The initial symbols: one per byte (unknown bytes dropped or mapped to unk).
  void initial_symbols(std::string_view word, std::vector<int32_t>& ids) const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  BpeOptions options_;
  std::vector<std::string> tokens_;  // by id; empty where no token (and tokens_present_ tells)
  std::vector<bool> tokens_present_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  MergeTable merges_;
  std::array<int32_t, 256> byte_ids_{};  // -1 when the byte's character is not a token
  int32_t unk_id_ = -1;
  // Identifies this model's entries in the per-thread word caches; a new value empties them.
  uint64_t cache_generation_ = 0;
};

}  // namespace cr1::model
