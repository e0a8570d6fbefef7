// Keys and values of token sequences the model has run, so that a prompt beginning like an earlier one
// (the next turn of the same conversation; any conversation's system prompt and tool schemas) prefills
// only its new tokens: automatic prefix caching, as vLLM's --enable-prefix-caching does (per block of
// tokens there, per whole sequence here). The keys/values of a prefix depend only on its tokens, so
// starting from them gives the logits of a full prefill up to the rounding of differently shaped
// matrix products.
//
// An entry is one sequence's per-layer cache (batch 1, capacity >= length). acquire() finds the entry
// sharing the longest token prefix with a prompt. When the prompt covers that whole entry (the next
// turn of its conversation), the entry is taken: its tensors become the prompt's cache and grow in
// place, with no copy; otherwise (a pinned system prompt, a sibling conversation) the shared prefix is
// copied into a new cache. release() gives a finished sequence's cache back as a new entry and drops
// the entries it extends; past the byte budget the least recently used go. Pinned entries are never
// taken or evicted. Thread-safe.
//
// Torch header: model/ and train/ only (LanguageModel exposes it torch-free).
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <span>
#include <vector>

#include "model/generation_options.h"
#include "model/qwen2_model.h"

namespace cr1::model {

struct PrefixCacheStats;  // model/language_model.h

class PrefixCache {
 public:
  explicit PrefixCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // A batch-1 cache with room for at least `needed` positions whose first `length` positions hold the
  // keys/values of the longest cached prefix of `tokens`, at most `max_reuse` tokens (0 when nothing
  // matches). A new cache gets capacity_with_headroom(needed).
  KvCache acquire(const Qwen2Model& model, std::span<const TokenId> tokens, int64_t max_reuse, int64_t needed);

  // Keeps `cache` (batch 1; its first cache.length positions are the keys/values of `tokens`, which has
  // at least that many ids) as an entry. Entries whose tokens it extends are dropped.
  void release(std::span<const TokenId> tokens, KvCache cache);

  // Runs `tokens` through the model and keeps the result as a pinned entry (never evicted or taken), or
  // does nothing when such an entry exists.
  void pin(const Qwen2Model& model, std::span<const TokenId> tokens);

  // Drops every entry but the pinned ones.
  void clear_unpinned();

  // Counts tokens prefilled beside those reused (generation reports both).
  void count_prefilled(int64_t tokens);

  void fill(PrefixCacheStats& stats) const;
  size_t max_bytes() const { return max_bytes_; }

  // Capacity to allocate for a sequence that needs `needed` positions: room for a later turn to grow into.
  static int64_t capacity_with_headroom(int64_t needed);

 private:
  struct Entry {
    std::vector<TokenId> tokens;  // exactly the cached length
    KvCache cache;
    size_t bytes = 0;
    bool pinned = false;
  };
  void evict_locked();

  size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // most recently used first
  size_t bytes_ = 0;
  uint64_t lookups_ = 0, hits_ = 0, takes_ = 0, reused_tokens_ = 0, prefilled_tokens_ = 0, evictions_ = 0;
};

}  // namespace cr1::model
